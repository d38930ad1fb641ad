// Cfu -- the nnx extension (rtl/nnx/hb_nnx.v, the same datapath as hb_core's)
// behind the CFU Playground port of VexRiscv's CfuPlugin.
//
// The port list is CFU Playground's `cfu.v` (module Cfu), so this file and a
// user's own cfu.v are interchangeable in vx_soc (rtl/vexriscv/build.py).
//
// Encoding: VexRiscv sends every custom-0 R-type instruction with
// function_id = {funct7, funct3} (bits 9:3 = funct7, 2:0 = funct3) and the
// values of rs1 / rs2 -- the same encoding as hb_core's port, so the firmware
// issues the same `.insn r CUSTOM_0, funct3, funct7, ...` words.
//
// Two differences of the CFU port, and what the adapter does about them:
//   * There is no third operand: the value of rd is not sent.  nnx.mac4
//     (rd + dot4) therefore sees rd = 0 here and returns dot4; firmware for
//     this target is built with -DNNX_NO_RD_OPERAND, which makes nnx_mac4()
//     in nnx.h an nnx.dot4 followed by an add (rtl/README.md, "VexRiscv").
//   * There is no "illegal" response: a function id the unit does not
//     implement (hb_nnx's rsp_illegal) returns 0 instead of trapping.
// Everything else is bit-exact with rtl/model/nnx.py (tests/cocotb_cfu.py).
//
// hb_nnx keeps a private multiplier here (EXT_MUL = 0): VexRiscv does not lend
// its multiplier.  It is a 32 x 9 one used over 4 cycles (MUL_STEPS = 4), not a
// 32 x 32: srdhm and requant take 3 cycles more, for about a quarter of the
// multiplier's area (the dot4's four 8 x 8 multipliers are separate).
module Cfu #(
    parameter MUL_STEPS = 4
) (
    input  wire        cmd_valid,
    output wire        cmd_ready,
    input  wire [9:0]  cmd_payload_function_id,
    input  wire [31:0] cmd_payload_inputs_0,
    input  wire [31:0] cmd_payload_inputs_1,
    output wire        rsp_valid,
    input  wire        rsp_ready,
    output wire [31:0] rsp_payload_outputs_0,
    input  wire        reset,
    input  wire        clk
);
    wire [31:0] data;
    wire        illegal;
    /* verilator lint_off UNUSEDSIGNAL */
    wire        mul_en;
    wire [31:0] mul_a, mul_b;
    /* verilator lint_on UNUSEDSIGNAL */

    hb_nnx #(.EXT_MUL(0), .MUL_STEPS(MUL_STEPS)) u_nnx (
        .clk(clk), .rst(reset),
        .cmd_valid(cmd_valid), .cmd_ready(cmd_ready),
        .cmd_funct3(cmd_payload_function_id[2:0]),
        .cmd_funct7(cmd_payload_function_id[9:3]),
        .cmd_custom1(1'b0),
        .cmd_rs1(cmd_payload_inputs_0), .cmd_rs2(cmd_payload_inputs_1),
        .cmd_rd(32'd0),
        .rsp_valid(rsp_valid), .rsp_ready(rsp_ready),
        .rsp_data(data), .rsp_illegal(illegal),
        .mul_en(mul_en), .mul_a(mul_a), .mul_b(mul_b), .mul_p(64'd0)
    );

    assign rsp_payload_outputs_0 = illegal ? 32'd0 : data;

endmodule
