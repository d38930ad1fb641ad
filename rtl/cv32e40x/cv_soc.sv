// cv_soc -- CV32E40X (PyPI pythondata-cpu-cv32e40x, RV32IM, X_EXT = 0) + RAM + the
// PUTCHAR/EXIT MMIO of hb_soc, with hb_soc's ports, so rtl/bench/hb_bench.cpp (built with
// --prefix Vhb_soc) and the same firmware run on it.
//
// Memory map (identical to hb_soc): RAM from 0 (boot address 0), PUTCHAR 0x1000_0000,
// EXIT 0x1000_0004, anything else reads 0.
//
// Buses: the core's OBI instruction and data ports each have a port on one dual-port RAM
// (rtl/soc/obi_mem.sv, shared with obi_soc): every request is granted at once and
// answered MEM_LATENCY (>= 1) cycles later.
//
// Traps: mtvec's reset value is TRAP_VECTOR, outside RAM; the firmware sets no handler, so
// the first fetch from there ends the run with the core's mcause/mepc (CV32E40X has no
// mtval: 0).  Counters: CV32E40X resets mcountinhibit to "all inhibited"; firmware for this
// SoC is built with -DHB_COUNTERS_ENABLE (the start-up clears mcountinhibit).
module cv_soc #(
    parameter NNX         = 0,            // 1: X_EXT = 1 with the nnx coprocessor (cv_xif_nnx)
    parameter RAM_BYTES   = 4194304,      // power of two, >= 4 KiB
    parameter MEM_LATENCY = 1             // cycles from grant to rvalid (1 .. 255)
) (
    input  wire        clk,
    input  wire        rst,

    input  wire        ld_en,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0] ld_addr,           // word index (bits above the RAM size ignored)
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [31:0] ld_data,

    output wire        putc_valid,
    output wire [7:0]  putc_data,
    output wire        exit_valid,
    output wire [31:0] exit_code,
    output wire        trapped,
    output wire [31:0] trap_cause,
    output wire [31:0] trap_pc,
    output wire [31:0] trap_tval,
    output wire [63:0] mcycle,
    output wire [63:0] minstret,
    output wire [31:0] pc
);
    localparam [31:0] TRAP_VECTOR = 32'h2000_0000;

    logic        i_req, i_gnt, i_rvalid;
    logic [31:0] i_addr, i_rdata;
    logic        d_req, d_gnt, d_rvalid, d_we;
    logic [31:0] d_addr, d_wdata, d_rdata;
    logic [3:0]  d_be;

    // the core and, with NNX = 1, its nnx coprocessor (cv_cpu.sv)
    cv_cpu #(.NNX(NNX), .TRAP_VECTOR(TRAP_VECTOR)) u_cpu (
        .clk(clk), .rst(rst),
        .i_req(i_req), .i_gnt(i_gnt), .i_rvalid(i_rvalid), .i_addr(i_addr), .i_rdata(i_rdata),
        .d_req(d_req), .d_gnt(d_gnt), .d_rvalid(d_rvalid), .d_we(d_we), .d_be(d_be),
        .d_addr(d_addr), .d_wdata(d_wdata), .d_rdata(d_rdata),
        .mcycle(mcycle)
    );

    assign minstret   = u_cpu.u_core.cs_registers_i.mhpmcounter_q[2];
    assign pc         = i_addr;
    assign trap_cause = {27'd0, u_cpu.u_core.cs_registers_i.mcause_q[4:0]};
    assign trap_pc    = u_cpu.u_core.cs_registers_i.mepc_q;
    assign trap_tval  = 32'd0;

    // RAM, MMIO and the trap-vector watch (rtl/soc/obi_mem.sv, shared with the other OBI SoCs)
    obi_mem #(.RAM_BYTES(RAM_BYTES), .MEM_LATENCY(MEM_LATENCY), .TRAP_VECTOR(TRAP_VECTOR)) u_mem (
        .clk(clk), .rst(rst), .ld_en(ld_en), .ld_addr(ld_addr), .ld_data(ld_data),
        .i_req(i_req), .i_gnt(i_gnt), .i_rvalid(i_rvalid), .i_addr(i_addr), .i_rdata(i_rdata),
        .d_req(d_req), .d_gnt(d_gnt), .d_rvalid(d_rvalid), .d_we(d_we), .d_be(d_be),
        .d_addr(d_addr), .d_wdata(d_wdata), .d_rdata(d_rdata),
        .putc_valid(putc_valid), .putc_data(putc_data), .exit_valid(exit_valid),
        .exit_code(exit_code), .vector_fetched(trapped)
    );

endmodule
