// obi_mem -- the memory side of the OBI SoCs (cv_soc: CV32E40X; obi_soc: CV32E40P, Ibex): one dual-port RAM with an OBI instruction port and an OBI data port, hb_soc's
// PUTCHAR/EXIT MMIO and its loader port.
//
// Memory map (identical to hb_soc): RAM from 0, PUTCHAR 0x1000_0000, EXIT 0x1000_0004,
// anything else reads 0 (except the reset stub below).
//
// Every request is granted at once and answered MEM_LATENCY (>= 1) cycles later; with
// MEM_LATENCY = 1 (a synchronous SRAM) a new request can be granted every cycle (pipelined,
// as OBI allows).  Only the data port writes; MMIO writes take effect when granted.
//
// Traps: `vector_fetched` rises the cycle after the first fetch from TRAP_VECTOR (the
// cores' reset mtvec, outside RAM: the firmware sets no handler), when the core's mcause
// and mepc can be read.
//
// Reset stub: a core whose reset pc is not 0 (Ibex: boot address + 0x80) fetches from
// RESET_STUB and gets `jalr x0, 0(x0)` there, a jump to the firmware's entry at 0.
// RESET_STUB = 0 (the default) disables it.
module obi_mem #(
    parameter RAM_BYTES   = 4194304,        // power of two, >= 4 KiB
    parameter MEM_LATENCY = 1,              // cycles from grant to rvalid (1 .. 255)
    parameter [31:0] TRAP_VECTOR = 32'h2000_0000,
    parameter [31:0] RESET_STUB  = 32'h0
) (
    input  wire        clk,
    input  wire        rst,

    input  wire        ld_en,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0] ld_addr,             // word index (bits above the RAM size ignored)
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [31:0] ld_data,

    // OBI instruction port (read only)
    input  wire        i_req,
    output wire        i_gnt,
    output wire        i_rvalid,
    input  wire [31:0] i_addr,
    output wire [31:0] i_rdata,
    // OBI data port
    input  wire        d_req,
    output wire        d_gnt,
    output wire        d_rvalid,
    input  wire        d_we,
    input  wire [3:0]  d_be,
    input  wire [31:0] d_addr,
    input  wire [31:0] d_wdata,
    output wire [31:0] d_rdata,

    output wire        putc_valid,
    output wire [7:0]  putc_data,
    output reg         exit_valid,
    output reg  [31:0] exit_code,
    output wire        vector_fetched
);
    localparam RAM_WORDS = RAM_BYTES / 4;
    localparam AW = $clog2(RAM_WORDS);
    localparam [31:0] JALR_ZERO = 32'h0000_0067;      // jalr x0, 0(x0)

    // the fetch from the trap vector is requested in the cycle the core writes mcause and
    // mepc: `vector_fetched` follows one cycle later, when they can be read
    reg trap_seen;
    always @(posedge clk) begin
        if (rst) trap_seen <= 1'b0;
        else if (i_req && i_addr == TRAP_VECTOR) trap_seen <= 1'b1;
    end
    assign vector_fetched = trap_seen;

    reg [31:0] ram [0:RAM_WORDS-1];
    wire [AW-1:0] i_idx = i_addr[AW+1:2];
    wire [AW-1:0] d_idx = d_addr[AW+1:2];
    wire i_fire = i_req && i_gnt;
    wire d_fire = d_req && d_gnt;
    wire d_ram  = d_addr < RAM_BYTES;
    wire d_mmio = d_addr[31:4] == 28'h1000_000;
    wire i_stub = RESET_STUB != 32'h0 && i_addr == RESET_STUB;
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
        i_data[0] <= (i_addr < RAM_BYTES) ? ram[i_idx] : (i_stub ? JALR_ZERO : 32'd0);
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
