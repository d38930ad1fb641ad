// hb_cpu -- hb_core with (NNX=1) or without (NNX=0) the nnx extension unit
// attached to its CFU port.  This is the unit that rtl/area.py synthesises.
module hb_cpu #(
    parameter NNX = 0
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        halt_i,
    output wire        mem_valid,
    output wire [31:0] mem_addr,
    output wire [31:0] mem_wdata,
    output wire [3:0]  mem_wstrb,
    input  wire        mem_ready,
    input  wire [31:0] mem_rdata,
    output wire        halted,
    output wire [31:0] halt_cause,
    output wire [31:0] halt_pc,
    output wire [31:0] halt_tval,
    output wire [63:0] mcycle,
    output wire [63:0] minstret,
    output wire [31:0] pc
);
    wire        cfu_cmd_valid, cfu_cmd_ready, cfu_cmd_custom1;
    wire [2:0]  cfu_cmd_funct3;
    wire [6:0]  cfu_cmd_funct7;
    wire [31:0] cfu_cmd_rs1, cfu_cmd_rs2, cfu_cmd_rd, cfu_rsp_data;
    wire        cfu_rsp_valid, cfu_rsp_ready, cfu_rsp_illegal;
    wire        cfu_mul_en;
    wire [31:0] cfu_mul_a, cfu_mul_b;
    wire [63:0] cfu_mul_p;

    hb_core #(.ENABLE_CFU(NNX)) u_core (
        .clk(clk), .rst(rst), .halt_i(halt_i),
        .mem_valid(mem_valid), .mem_addr(mem_addr), .mem_wdata(mem_wdata),
        .mem_wstrb(mem_wstrb), .mem_ready(mem_ready), .mem_rdata(mem_rdata),
        .cfu_cmd_valid(cfu_cmd_valid), .cfu_cmd_ready(cfu_cmd_ready),
        .cfu_cmd_funct3(cfu_cmd_funct3), .cfu_cmd_funct7(cfu_cmd_funct7),
        .cfu_cmd_custom1(cfu_cmd_custom1), .cfu_cmd_rs1(cfu_cmd_rs1),
        .cfu_cmd_rs2(cfu_cmd_rs2), .cfu_cmd_rd(cfu_cmd_rd),
        .cfu_rsp_valid(cfu_rsp_valid), .cfu_rsp_ready(cfu_rsp_ready),
        .cfu_rsp_data(cfu_rsp_data), .cfu_rsp_illegal(cfu_rsp_illegal),
        .cfu_mul_en(cfu_mul_en), .cfu_mul_a(cfu_mul_a), .cfu_mul_b(cfu_mul_b),
        .cfu_mul_p(cfu_mul_p),
        .halted(halted), .halt_cause(halt_cause), .halt_pc(halt_pc),
        .halt_tval(halt_tval), .mcycle_o(mcycle), .minstret_o(minstret), .pc_o(pc)
    );

    generate
        if (NNX != 0) begin : g_nnx
            // EXT_MUL: srdhm/requant use the core's multiplier (see hb_nnx.v)
            hb_nnx #(.EXT_MUL(1)) u_nnx (
                .clk(clk), .rst(rst),
                .cmd_valid(cfu_cmd_valid), .cmd_ready(cfu_cmd_ready),
                .cmd_funct3(cfu_cmd_funct3), .cmd_funct7(cfu_cmd_funct7),
                .cmd_custom1(cfu_cmd_custom1), .cmd_rs1(cfu_cmd_rs1),
                .cmd_rs2(cfu_cmd_rs2), .cmd_rd(cfu_cmd_rd),
                .rsp_valid(cfu_rsp_valid), .rsp_ready(cfu_rsp_ready),
                .rsp_data(cfu_rsp_data), .rsp_illegal(cfu_rsp_illegal),
                .mul_en(cfu_mul_en), .mul_a(cfu_mul_a), .mul_b(cfu_mul_b),
                .mul_p(cfu_mul_p)
            );
        end else begin : g_no_nnx
            // the core decodes custom opcodes as illegal and never uses the port
            assign cfu_cmd_ready   = 1'b0;
            assign cfu_rsp_valid   = 1'b0;
            assign cfu_rsp_data    = 32'd0;
            assign cfu_rsp_illegal = 1'b1;
            assign cfu_mul_en      = 1'b0;
            assign cfu_mul_a       = 32'd0;
            assign cfu_mul_b       = 32'd0;
            /* verilator lint_off UNUSEDSIGNAL */
            wire unused_cfu = &{1'b0, cfu_cmd_valid, cfu_cmd_funct3, cfu_cmd_funct7,
                                cfu_cmd_custom1, cfu_cmd_rs1, cfu_cmd_rs2, cfu_cmd_rd,
                                cfu_rsp_ready, cfu_mul_p};
            /* verilator lint_on UNUSEDSIGNAL */
        end
    endgenerate
endmodule
