// Cfu -- a minimal CFU Playground-style unit: only nnx.dot4 (funct3 0, funct7 1), answered
// in the same cycle (VexRiscv's CfuPlugin allows zero latency).  It stands for "a user's own
// cfu.v" in the documentation and tests of `python -m rtl.vexriscv.build --cfu-source`
// (rtl/vexriscv/README.md); other function ids return 0.
module Cfu (
    input  wire        cmd_valid,
    output wire        cmd_ready,
    input  wire [9:0]  cmd_payload_function_id,
    input  wire [31:0] cmd_payload_inputs_0,
    input  wire [31:0] cmd_payload_inputs_1,
    output wire        rsp_valid,
    input  wire        rsp_ready,
    output wire [31:0] rsp_payload_outputs_0,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire        reset,
    input  wire        clk
    /* verilator lint_on UNUSEDSIGNAL */
);
    wire [7:0] a0 = cmd_payload_inputs_0[7:0],   b0 = cmd_payload_inputs_1[7:0];
    wire [7:0] a1 = cmd_payload_inputs_0[15:8],  b1 = cmd_payload_inputs_1[15:8];
    wire [7:0] a2 = cmd_payload_inputs_0[23:16], b2 = cmd_payload_inputs_1[23:16];
    wire [7:0] a3 = cmd_payload_inputs_0[31:24], b3 = cmd_payload_inputs_1[31:24];
    wire signed [31:0] dot = $signed(a0) * $signed(b0) + $signed(a1) * $signed(b1)
                           + $signed(a2) * $signed(b2) + $signed(a3) * $signed(b3);
    assign rsp_valid = cmd_valid;
    assign cmd_ready = rsp_ready;
    assign rsp_payload_outputs_0 = cmd_payload_function_id == 10'b0000001_000 ? dot : 32'd0;
endmodule
