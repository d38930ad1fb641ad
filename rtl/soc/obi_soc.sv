// obi_soc -- a core without an extension port + RAM + the PUTCHAR/EXIT MMIO of hb_soc, with
// hb_soc's ports, so rtl/bench/hb_bench.cpp (built with --prefix Vhb_soc) and the same
// firmware run on it.  A define picks the core (the build passes it; each build reads only
// that core's files):
//
//   OBI_CORE_CV32E40P  cv32e40p_top (PyPI pythondata-cpu-cv32e40p): COREV_PULP = 0 (no
//                      Xpulp), FPU = 0, ZFINX = 0.  Boot address 0; mtvec resets to
//                      TRAP_VECTOR (vectored mode, exceptions go to its base); no mtval
//                      (reported 0).  rtl/cv32e40p/.
//   OBI_CORE_IBEX      ibex_cpu (rtl/ibex/ibex_cpu.sv: ibex_core of pythondata-cpu-ibex and
//                      its register file).  Ibex starts at boot_addr + 0x80 and resets mtvec
//                      to boot_addr: boot_addr is TRAP_VECTOR, and obi_mem's reset stub
//                      answers the fetch from TRAP_VECTOR + 0x80 with `jalr x0, 0(x0)`, a
//                      jump to the firmware's entry at 0.  mtval is the core's.  rtl/ibex/.
//
// A define, not a parameter: the counters and trap CSRs are read by hierarchical references
// into the core, which Verilator resolves even in generate branches it does not elaborate.
//
// Memory map (identical to hb_soc): RAM from 0, PUTCHAR 0x1000_0000, EXIT 0x1000_0004,
// anything else reads 0.  Buses: the core's req/gnt/rvalid (OBI) instruction and data ports
// each have a port on one dual-port RAM (rtl/soc/obi_mem.sv, also under cv_soc), granted at
// once and answered MEM_LATENCY (>= 1) cycles later.  Traps: the firmware sets no handler,
// so the first fetch from TRAP_VECTOR (outside RAM) ends the run with mcause/mepc.
// Counters: mcycle/minstret for hb_bench's result line are read from the core's CSR file.
module obi_soc #(
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

`ifdef OBI_CORE_CV32E40P
    localparam [31:0] RESET_STUB = 32'h0;           // boots at 0
    cv32e40p_top #(.COREV_PULP(0), .COREV_CLUSTER(0), .FPU(0), .ZFINX(0),
                   .NUM_MHPMCOUNTERS(1)) u_top (
        .clk_i(clk), .rst_ni(!rst), .pulp_clock_en_i(1'b0), .scan_cg_en_i(1'b0),
        .boot_addr_i(32'h0), .mtvec_addr_i(TRAP_VECTOR), .dm_halt_addr_i(32'h0),
        .hart_id_i(32'h0), .dm_exception_addr_i(32'h0),
        .instr_req_o(i_req), .instr_gnt_i(i_gnt), .instr_rvalid_i(i_rvalid),
        .instr_addr_o(i_addr), .instr_rdata_i(i_rdata),
        .data_req_o(d_req), .data_gnt_i(d_gnt), .data_rvalid_i(d_rvalid),
        .data_we_o(d_we), .data_be_o(d_be), .data_addr_o(d_addr),
        .data_wdata_o(d_wdata), .data_rdata_i(d_rdata),
        .irq_i(32'h0), .irq_ack_o(), .irq_id_o(),
        .debug_req_i(1'b0), .debug_havereset_o(), .debug_running_o(),
        .debug_halted_o(), .fetch_enable_i(!rst), .core_sleep_o()
    );
    assign mcycle     = u_top.core_i.cs_registers_i.mhpmcounter_q[0];
    assign minstret   = u_top.core_i.cs_registers_i.mhpmcounter_q[2];
    assign trap_cause = {27'd0, u_top.core_i.cs_registers_i.mcause_q[4:0]};
    assign trap_pc    = u_top.core_i.cs_registers_i.mepc_q;
    assign trap_tval  = 32'd0;
`elsif OBI_CORE_IBEX
    localparam [31:0] RESET_STUB = TRAP_VECTOR + 32'h80;   // Ibex's reset pc
    ibex_cpu u_cpu (
        .clk(clk), .rst(rst), .boot_addr(TRAP_VECTOR),
        .i_req(i_req), .i_gnt(i_gnt), .i_rvalid(i_rvalid), .i_addr(i_addr),
        .i_rdata(i_rdata),
        .d_req(d_req), .d_gnt(d_gnt), .d_rvalid(d_rvalid), .d_we(d_we), .d_be(d_be),
        .d_addr(d_addr), .d_wdata(d_wdata), .d_rdata(d_rdata)
    );
    assign mcycle     = u_cpu.u_ibex_core.cs_registers_i.mhpmcounter[0];
    assign minstret   = u_cpu.u_ibex_core.cs_registers_i.mhpmcounter[2];
    assign trap_cause = {27'd0, u_cpu.u_ibex_core.cs_registers_i.mcause_q.lower_cause};
    assign trap_pc    = u_cpu.u_ibex_core.cs_registers_i.mepc_q;
    assign trap_tval  = u_cpu.u_ibex_core.cs_registers_i.mtval_q;
`else
    $error("obi_soc: build it with +define+OBI_CORE_CV32E40P or +define+OBI_CORE_IBEX");
`endif
    assign pc = i_addr;

    obi_mem #(.RAM_BYTES(RAM_BYTES), .MEM_LATENCY(MEM_LATENCY), .TRAP_VECTOR(TRAP_VECTOR),
              .RESET_STUB(RESET_STUB)) u_mem (
        .clk(clk), .rst(rst), .ld_en(ld_en), .ld_addr(ld_addr), .ld_data(ld_data),
        .i_req(i_req), .i_gnt(i_gnt), .i_rvalid(i_rvalid), .i_addr(i_addr), .i_rdata(i_rdata),
        .d_req(d_req), .d_gnt(d_gnt), .d_rvalid(d_rvalid), .d_we(d_we), .d_be(d_be),
        .d_addr(d_addr), .d_wdata(d_wdata), .d_rdata(d_rdata),
        .putc_valid(putc_valid), .putc_data(putc_data), .exit_valid(exit_valid),
        .exit_code(exit_code), .vector_fetched(trapped)
    );

endmodule
