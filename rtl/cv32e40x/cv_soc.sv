// cv_soc -- CV32E40X (PyPI pythondata-cpu-cv32e40x, RV32IM, X_EXT = 0) + RAM + the
// PUTCHAR/EXIT MMIO of hb_soc, with hb_soc's ports, so rtl/bench/hb_bench.cpp (built with
// --prefix Vhb_soc) and the same firmware run on it.
//
// Memory map (identical to hb_soc): RAM from 0 (boot address 0), PUTCHAR 0x1000_0000,
// EXIT 0x1000_0004, anything else reads 0.
//
// Buses: the core's OBI instruction and data ports each have a port on one dual-port RAM
// (only the data port writes).  Every request is granted at once and answered
// MEM_LATENCY (>= 1) cycles later; with MEM_LATENCY = 1 (a synchronous SRAM) a new request
// can be granted every cycle (pipelined, as OBI allows).
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
    output reg         exit_valid,
    output reg  [31:0] exit_code,
    output wire        trapped,
    output wire [31:0] trap_cause,
    output wire [31:0] trap_pc,
    output wire [31:0] trap_tval,
    output wire [63:0] mcycle,
    output wire [63:0] minstret,
    output wire [31:0] pc
);
    localparam RAM_WORDS = RAM_BYTES / 4;
    localparam AW = $clog2(RAM_WORDS);
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
    // the fetch from the trap vector is requested in the cycle the core writes mcause and
    // mepc: `trapped` follows one cycle later, when they can be read
    reg trap_seen;
    always @(posedge clk) begin
        if (rst) trap_seen <= 1'b0;
        else if (i_req && i_addr == TRAP_VECTOR) trap_seen <= 1'b1;
    end
    assign trapped    = trap_seen;
    assign trap_cause = {27'd0, u_cpu.u_core.cs_registers_i.mcause_q[4:0]};
    assign trap_pc    = u_cpu.u_core.cs_registers_i.mepc_q;
    assign trap_tval  = 32'd0;

    // ------------------------------------------------------------------
    // RAM: two OBI ports, granted at once, answered MEM_LATENCY cycles later
    // ------------------------------------------------------------------
    reg [31:0] ram [0:RAM_WORDS-1];
    wire [AW-1:0] i_idx = i_addr[AW+1:2];
    wire [AW-1:0] d_idx = d_addr[AW+1:2];
    wire i_fire = i_req && i_gnt;
    wire d_fire = d_req && d_gnt;
    wire d_ram  = d_addr < RAM_BYTES;
    wire d_mmio = d_addr[31:4] == 28'h1000_000;
    assign i_gnt = 1'b1;
    assign d_gnt = 1'b1;

    reg [MEM_LATENCY-1:0] i_pipe, d_pipe;          // rvalid shift registers
    reg [31:0] i_data [0:MEM_LATENCY-1];
    reg [31:0] d_data [0:MEM_LATENCY-1];
    assign i_rvalid = i_pipe[MEM_LATENCY-1];
    assign i_rdata  = i_data[MEM_LATENCY-1];
    assign d_rvalid = d_pipe[MEM_LATENCY-1];
    assign d_rdata  = d_data[MEM_LATENCY-1];

    integer k;
    always @(posedge clk) begin
        if (rst) begin
            i_pipe <= '0;
            d_pipe <= '0;
        end else begin
            i_pipe <= MEM_LATENCY'({i_pipe, i_fire});   // drop the oldest bit
            d_pipe <= MEM_LATENCY'({d_pipe, d_fire});
        end
        i_data[0] <= (i_addr < RAM_BYTES) ? ram[i_idx] : 32'd0;
        d_data[0] <= (d_ram && !d_we) ? ram[d_idx] : 32'd0;
        for (k = 1; k < MEM_LATENCY; k = k + 1) begin
            i_data[k] <= i_data[k-1];
            d_data[k] <= d_data[k-1];
        end
        if (ld_en) begin
            ram[ld_addr[AW-1:0]] <= ld_data;
        end else if (d_fire && d_we && d_ram && !exit_valid) begin
            if (d_be[0]) ram[d_idx][ 7: 0] <= d_wdata[ 7: 0];
            if (d_be[1]) ram[d_idx][15: 8] <= d_wdata[15: 8];
            if (d_be[2]) ram[d_idx][23:16] <= d_wdata[23:16];
            if (d_be[3]) ram[d_idx][31:24] <= d_wdata[31:24];
        end
    end

    // MMIO writes take effect when granted (one pulse per store)
    wire mmio_wr = d_fire && d_we && d_mmio;
    assign putc_valid = mmio_wr && d_addr[3:2] == 2'd0 && d_be[0];
    assign putc_data  = d_wdata[7:0];
    wire   exit_wr    = mmio_wr && d_addr[3:2] == 2'd1;

    always @(posedge clk) begin
        if (rst) begin
            exit_valid <= 1'b0;
            exit_code  <= 32'd0;
        end else if (exit_wr && !exit_valid) begin
            exit_valid <= 1'b1;
            exit_code  <= d_wdata;
        end
    end

endmodule
