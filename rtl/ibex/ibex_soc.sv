// ibex_soc -- Ibex (PyPI pythondata-cpu-ibex: ibex_core with the flip-flop register file;
// RV32IMC, RV32M = RV32MFast, no bitmanip, no PMP, no instruction cache, no writeback stage)
// + RAM + the PUTCHAR/EXIT MMIO of hb_soc, with hb_soc's ports, so rtl/bench/hb_bench.cpp
// (built with --prefix Vhb_soc) and the same firmware run on it.
//
// Memory map (identical to hb_soc): RAM from 0, PUTCHAR 0x1000_0000, EXIT 0x1000_0004,
// anything else reads 0.
//
// Boot: Ibex starts at boot_addr + 0x80 and resets mtvec to boot_addr (vectored; exceptions
// go to its base).  boot_addr is TRAP_VECTOR, outside RAM: the first fetch, from
// TRAP_VECTOR + 0x80, gets `jalr x0, 0(x0)` from obi_mem's reset stub (two instructions'
// worth of cycles before the firmware's entry at 0, before its counters are read), and a
// trap (the firmware sets no handler) ends the run at the fetch from TRAP_VECTOR with the
// core's mcause/mepc/mtval.
//
// Buses: Ibex's instruction and data ports are req/gnt/rvalid like OBI: each has a port on
// one dual-port RAM (rtl/soc/obi_mem.sv, shared with cv_soc and cp_soc), granted at once
// and answered MEM_LATENCY (>= 1) cycles later.  Ibex has no extension port; this SoC has
// no nnx.  Counters: Ibex resets mcountinhibit to 0 (counting).
module ibex_soc #(
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

    ibex_cpu u_cpu (
        .clk(clk), .rst(rst), .boot_addr(TRAP_VECTOR),
        .i_req(i_req), .i_gnt(i_gnt), .i_rvalid(i_rvalid), .i_addr(i_addr), .i_rdata(i_rdata),
        .d_req(d_req), .d_gnt(d_gnt), .d_rvalid(d_rvalid), .d_we(d_we), .d_be(d_be),
        .d_addr(d_addr), .d_wdata(d_wdata), .d_rdata(d_rdata)
    );

    assign mcycle     = u_cpu.u_ibex_core.cs_registers_i.mhpmcounter[0];
    assign minstret   = u_cpu.u_ibex_core.cs_registers_i.mhpmcounter[2];
    assign pc         = i_addr;
    assign trap_cause = {27'd0, u_cpu.u_ibex_core.cs_registers_i.mcause_q.lower_cause};
    assign trap_pc    = u_cpu.u_ibex_core.cs_registers_i.mepc_q;
    assign trap_tval  = u_cpu.u_ibex_core.cs_registers_i.mtval_q;

    // RAM, MMIO, the reset stub and the trap-vector watch (rtl/soc/obi_mem.sv)
    obi_mem #(.RAM_BYTES(RAM_BYTES), .MEM_LATENCY(MEM_LATENCY), .TRAP_VECTOR(TRAP_VECTOR),
              .RESET_STUB(TRAP_VECTOR + 32'h80)) u_mem (
        .clk(clk), .rst(rst), .ld_en(ld_en), .ld_addr(ld_addr), .ld_data(ld_data),
        .i_req(i_req), .i_gnt(i_gnt), .i_rvalid(i_rvalid), .i_addr(i_addr), .i_rdata(i_rdata),
        .d_req(d_req), .d_gnt(d_gnt), .d_rvalid(d_rvalid), .d_we(d_we), .d_be(d_be),
        .d_addr(d_addr), .d_wdata(d_wdata), .d_rdata(d_rdata),
        .putc_valid(putc_valid), .putc_data(putc_data), .exit_valid(exit_valid),
        .exit_code(exit_code), .vector_fetched(trapped)
    );

endmodule
