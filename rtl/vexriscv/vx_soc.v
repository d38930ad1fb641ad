// vx_soc -- VexRiscv (pre-generated "FullCfu" Verilog of the PyPI package
// pythondata-cpu-vexriscv) + RAM + the PUTCHAR/EXIT MMIO of hb_soc, with the
// same ports as hb_soc, so the same bench (rtl/bench/hb_bench.cpp, built with
// --prefix Vhb_soc) and the same firmware run on it.
//
// Memory map (identical to hb_soc)
//   0x0000_0000 .. RAM_BYTES-1   RAM (code + data + stack), reset pc = 0
//   0x1000_0000                  PUTCHAR  (W: low byte goes to the host's stdout)
//   0x1000_0004                  EXIT     (W: halt the simulation, exit code = data)
//   anything else                reads 0, writes ignored (no bus error)
//
// Buses: the core's two Wishbone masters (instruction cache refills: 8-beat
// incrementing bursts; data cache: refill bursts and write-through single
// writes) each have their own port on one dual-port RAM (a true dual-port
// SRAM; only the data port writes).  Classic Wishbone: every beat pays
// MEM_LATENCY wait cycles before ACK (MEM_LATENCY = 1: a synchronous SRAM,
// 2 cycles per beat, the same per-access cost as hb_soc's RAM).
//
// CFU: with CFU = 1 the core's CFU bus goes to a module named `Cfu` with the
// CFU Playground port list (rtl/vexriscv/cfu_nnx.v: the nnx adapter, or any
// user cfu.v, chosen by the build).  With CFU = 0 the port is tied off; the
// firmware never enables it (CSR 0xBC0 bit 31), so custom-0 instructions are
// illegal instructions.
//
// Traps: the core has no trap handler in the firmware, so the first exception
// it takes ends the run: `trapped` rises with mcause, mepc and mtval of the
// core's CSRs (hb_soc halts on an unhandled trap the same way).
//
// Loader port: while rst is high the bench writes the image one word per
// cycle (ld_en, ld_addr = word index).
module vx_soc #(
    parameter CFU         = 0,            // 1: attach module Cfu to the CFU port
    parameter RAM_BYTES   = 4194304,      // power of two, >= 4 KiB
    parameter MEM_LATENCY = 1             // RAM wait cycles per beat (1 .. 255)
) (
    input  wire        clk,
    input  wire        rst,

    input  wire        ld_en,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0] ld_addr,           // word index (bits above the RAM size ignored)
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [31:0] ld_data,

    output wire        putc_valid,        // 1-cycle pulse per character
    output wire [7:0]  putc_data,
    output reg         exit_valid,        // sticky
    output reg  [31:0] exit_code,
    output wire        trapped,           // the core took an exception
    output wire [31:0] trap_cause,
    output wire [31:0] trap_pc,
    output wire [31:0] trap_tval,
    output wire [63:0] mcycle,
    output wire [63:0] minstret,
    output wire [31:0] pc
);
    localparam RAM_WORDS = RAM_BYTES / 4;
    localparam AW = $clog2(RAM_WORDS);
    localparam [31:0] LAST32 = MEM_LATENCY - 1;
    localparam [7:0]  LAST   = LAST32[7:0];   // wait cycles - 1

    // ------------------------------------------------------------------
    // the core
    // ------------------------------------------------------------------
    wire        i_cyc, i_stb, i_we;
    wire [29:0] i_adr;
    wire [31:0] i_dat_w;
    wire [3:0]  i_sel;
    wire [2:0]  i_cti;
    wire [1:0]  i_bte;
    reg         i_ack;
    reg  [31:0] i_dat_r;
    wire        d_cyc, d_stb, d_we;
    wire [29:0] d_adr;
    wire [31:0] d_dat_w;
    wire [3:0]  d_sel;
    wire [2:0]  d_cti;
    wire [1:0]  d_bte;
    reg         d_ack;
    reg  [31:0] d_dat_r;

    wire        cfu_cmd_valid, cfu_cmd_ready, cfu_rsp_valid, cfu_rsp_ready;
    wire [9:0]  cfu_function_id;
    wire [31:0] cfu_in0, cfu_in1, cfu_out0;

    VexRiscv u_cpu (
        .externalResetVector(32'h0000_0000),
        .timerInterrupt(1'b0), .softwareInterrupt(1'b0), .externalInterruptArray(32'd0),
        .CfuPlugin_bus_cmd_valid(cfu_cmd_valid), .CfuPlugin_bus_cmd_ready(cfu_cmd_ready),
        .CfuPlugin_bus_cmd_payload_function_id(cfu_function_id),
        .CfuPlugin_bus_cmd_payload_inputs_0(cfu_in0),
        .CfuPlugin_bus_cmd_payload_inputs_1(cfu_in1),
        .CfuPlugin_bus_rsp_valid(cfu_rsp_valid), .CfuPlugin_bus_rsp_ready(cfu_rsp_ready),
        .CfuPlugin_bus_rsp_payload_outputs_0(cfu_out0),
        .iBusWishbone_CYC(i_cyc), .iBusWishbone_STB(i_stb), .iBusWishbone_ACK(i_ack),
        .iBusWishbone_WE(i_we), .iBusWishbone_ADR(i_adr), .iBusWishbone_DAT_MISO(i_dat_r),
        .iBusWishbone_DAT_MOSI(i_dat_w), .iBusWishbone_SEL(i_sel), .iBusWishbone_ERR(1'b0),
        .iBusWishbone_CTI(i_cti), .iBusWishbone_BTE(i_bte),
        .dBusWishbone_CYC(d_cyc), .dBusWishbone_STB(d_stb), .dBusWishbone_ACK(d_ack),
        .dBusWishbone_WE(d_we), .dBusWishbone_ADR(d_adr), .dBusWishbone_DAT_MISO(d_dat_r),
        .dBusWishbone_DAT_MOSI(d_dat_w), .dBusWishbone_SEL(d_sel), .dBusWishbone_ERR(1'b0),
        .dBusWishbone_CTI(d_cti), .dBusWishbone_BTE(d_bte),
        .clk(clk), .reset(rst)
    );

    generate
        if (CFU != 0) begin : g_cfu
            Cfu u_cfu (
                .cmd_valid(cfu_cmd_valid), .cmd_ready(cfu_cmd_ready),
                .cmd_payload_function_id(cfu_function_id),
                .cmd_payload_inputs_0(cfu_in0), .cmd_payload_inputs_1(cfu_in1),
                .rsp_valid(cfu_rsp_valid), .rsp_ready(cfu_rsp_ready),
                .rsp_payload_outputs_0(cfu_out0),
                .reset(rst), .clk(clk)
            );
        end else begin : g_no_cfu
            assign cfu_cmd_ready = 1'b0;
            assign cfu_rsp_valid = 1'b0;
            assign cfu_out0      = 32'd0;
            /* verilator lint_off UNUSEDSIGNAL */
            wire unused_cfu = &{1'b0, cfu_cmd_valid, cfu_function_id, cfu_in0, cfu_in1,
                                cfu_rsp_ready};
            /* verilator lint_on UNUSEDSIGNAL */
        end
    endgenerate

    /* verilator lint_off UNUSEDSIGNAL */
    wire unused_bus = &{1'b0, i_we, i_dat_w, i_sel, i_cti, i_bte, d_cti, d_bte};
    /* verilator lint_on UNUSEDSIGNAL */

    // the core's own counters and trap CSRs (SpinalHDL register names)
    assign mcycle     = u_cpu.CsrPlugin_mcycle;
    assign minstret   = u_cpu.CsrPlugin_minstret;
    assign pc         = u_cpu.IBusCachedPlugin_fetchPc_pcReg;
    // hadException rises the cycle after the exception; mcause/mepc/mtval are
    // written at the end of that cycle, so `trapped` follows one cycle later
    reg trap_seen;
    always @(posedge clk) begin
        if (rst) trap_seen <= 1'b0;
        else if (u_cpu.CsrPlugin_hadException) trap_seen <= 1'b1;
    end
    assign trapped    = trap_seen;
    assign trap_cause = {28'd0, u_cpu.CsrPlugin_mcause_exceptionCode};
    assign trap_pc    = u_cpu.CsrPlugin_mepc;
    assign trap_tval  = u_cpu.CsrPlugin_mtval;

    // ------------------------------------------------------------------
    // RAM: instruction port (read only) and data port (read/write)
    // ------------------------------------------------------------------
    reg [31:0] ram [0:RAM_WORDS-1];
    wire [31:0] i_addr = {i_adr, 2'b00};
    wire [31:0] d_addr = {d_adr, 2'b00};
    wire i_sel_ram  = i_addr < RAM_BYTES;
    wire d_sel_ram  = d_addr < RAM_BYTES;
    wire d_sel_mmio = d_addr[31:4] == 28'h1000_000;
    wire [AW-1:0] i_idx = i_adr[AW-1:0];
    wire [AW-1:0] d_idx = d_adr[AW-1:0];

    reg [7:0] i_wait, d_wait;
    wire i_go = i_cyc && i_stb && !i_ack && i_wait == LAST;   // the beat completes now
    wire d_go = d_cyc && d_stb && !d_ack && d_wait == LAST;

    always @(posedge clk) begin
        if (rst) begin
            i_ack <= 1'b0;
            i_wait <= 8'd0;
            d_ack <= 1'b0;
            d_wait <= 8'd0;
        end else begin
            i_ack <= i_go;
            if (i_cyc && i_stb && !i_ack) i_wait <= i_go ? 8'd0 : i_wait + 8'd1;
            d_ack <= d_go;
            if (d_cyc && d_stb && !d_ack) d_wait <= d_go ? 8'd0 : d_wait + 8'd1;
        end
        if (i_go) i_dat_r <= i_sel_ram ? ram[i_idx] : 32'd0;
        if (d_go) d_dat_r <= (d_sel_ram && !d_we) ? ram[d_idx] : 32'd0;
        if (ld_en) begin
            ram[ld_addr[AW-1:0]] <= ld_data;
        end else if (d_go && d_we && d_sel_ram && !exit_valid) begin
            if (d_sel[0]) ram[d_idx][ 7: 0] <= d_dat_w[ 7: 0];
            if (d_sel[1]) ram[d_idx][15: 8] <= d_dat_w[15: 8];
            if (d_sel[2]) ram[d_idx][23:16] <= d_dat_w[23:16];
            if (d_sel[3]) ram[d_idx][31:24] <= d_dat_w[31:24];
        end
    end

    // ------------------------------------------------------------------
    // MMIO on the data port: the write takes effect in the cycle its beat
    // completes (one pulse per store)
    // ------------------------------------------------------------------
    wire mmio_wr = d_go && d_we && d_sel_mmio;
    assign putc_valid = mmio_wr && d_addr[3:2] == 2'd0 && d_sel[0];
    assign putc_data  = d_dat_w[7:0];
    wire   exit_wr    = mmio_wr && d_addr[3:2] == 2'd1;

    always @(posedge clk) begin
        if (rst) begin
            exit_valid <= 1'b0;
            exit_code  <= 32'd0;
        end else if (exit_wr && !exit_valid) begin
            exit_valid <= 1'b1;
            exit_code  <= d_dat_w;
        end
    end

endmodule
