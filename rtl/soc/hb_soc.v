// hb_soc -- hb_core + RAM + MMIO peripherals (+ optional nnx extension).
//
// Memory map
//   0x0000_0000 .. RAM_BYTES-1   RAM (code + data + stack), MEM_LATENCY wait
//   0x1000_0000                  PUTCHAR  (W: low byte goes to the host's stdout)
//   0x1000_0004                  EXIT     (W: halt the simulation, exit code = data)
//   anything else                reads 0, writes ignored (no bus error)
//
// Loader port: while the core is held in reset the testbench writes the
// program image one 32-bit word per cycle (ld_en, ld_addr = word index).
module hb_soc #(
    parameter NNX         = 0,            // 1: instantiate the nnx extension
    parameter RAM_BYTES   = 4194304,      // power of two, >= 4 KiB
    parameter MEM_LATENCY = 1             // RAM wait cycles (0 = combinational)
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
    output wire        trapped,           // core halted on an unhandled trap
    output wire [31:0] trap_cause,
    output wire [31:0] trap_pc,
    output wire [31:0] trap_tval,
    output wire [63:0] mcycle,
    output wire [63:0] minstret,
    output wire [31:0] pc
);
    localparam RAM_WORDS = RAM_BYTES / 4;
    localparam AW = $clog2(RAM_WORDS);

    // ------------------------------------------------------------------
    // CPU (core + optional nnx extension)
    // ------------------------------------------------------------------
    wire        mem_valid, mem_ready;
    wire [31:0] mem_addr, mem_wdata, mem_rdata;
    wire [3:0]  mem_wstrb;

    hb_cpu #(.NNX(NNX)) u_cpu (
        .clk(clk), .rst(rst), .halt_i(exit_valid),
        .mem_valid(mem_valid), .mem_addr(mem_addr), .mem_wdata(mem_wdata),
        .mem_wstrb(mem_wstrb), .mem_ready(mem_ready), .mem_rdata(mem_rdata),
        .halted(trapped), .halt_cause(trap_cause), .halt_pc(trap_pc),
        .halt_tval(trap_tval), .mcycle(mcycle), .minstret(minstret), .pc(pc)
    );

    // ------------------------------------------------------------------
    // address decode
    // ------------------------------------------------------------------
    wire sel_ram  = mem_addr < RAM_BYTES;
    wire sel_mmio = mem_addr[31:4] == 28'h1000_000;
    wire is_write = mem_wstrb != 4'b0000;

    // ------------------------------------------------------------------
    // RAM
    // ------------------------------------------------------------------
    reg  [31:0] ram [0:RAM_WORDS-1];
    wire [AW-1:0] ram_idx = mem_addr[AW+1:2];
    wire        ram_ready;
    wire [31:0] ram_rdata;

    task ram_write;
        input [AW-1:0] idx;
        input [31:0]   data;
        input [3:0]    strb;
        begin
            if (strb[0]) ram[idx][ 7: 0] <= data[ 7: 0];
            if (strb[1]) ram[idx][15: 8] <= data[15: 8];
            if (strb[2]) ram[idx][23:16] <= data[23:16];
            if (strb[3]) ram[idx][31:24] <= data[31:24];
        end
    endtask

    generate
        if (MEM_LATENCY == 0) begin : g_ram_comb
            assign ram_ready = 1'b1;
            assign ram_rdata = ram[ram_idx];
            always @(posedge clk) begin
                if (ld_en) ram[ld_addr[AW-1:0]] <= ld_data;
                else if (mem_valid && sel_ram && is_write && !exit_valid)
                    ram_write(ram_idx, mem_wdata, mem_wstrb);
            end
        end else begin : g_ram_seq
            localparam [31:0] LAST32 = MEM_LATENCY - 1;
            localparam [7:0]  LAST   = LAST32[7:0];     // wait cycles - 1 (max 255)
            reg [7:0]  wait_cnt;
            reg        rdy;
            reg [31:0] rdata;
            assign ram_ready = rdy;
            assign ram_rdata = rdata;
            always @(posedge clk) begin
                if (rst) begin
                    wait_cnt <= 8'd0;
                    rdy <= 1'b0;
                end else begin
                    rdy <= 1'b0;
                    if (mem_valid && sel_ram && !rdy) begin
                        if (wait_cnt == LAST) begin
                            wait_cnt <= 8'd0;
                            rdy <= 1'b1;
                        end else begin
                            wait_cnt <= wait_cnt + 8'd1;
                        end
                    end
                end
                // the access happens in the cycle where ready is raised
                if (ld_en) ram[ld_addr[AW-1:0]] <= ld_data;
                else if (mem_valid && sel_ram && !rdy && wait_cnt == LAST) begin
                    rdata <= ram[ram_idx];
                    if (is_write) ram_write(ram_idx, mem_wdata, mem_wstrb);
                end
            end
        end
    endgenerate

    // ------------------------------------------------------------------
    // MMIO (always ready in the same cycle)
    // ------------------------------------------------------------------
    assign putc_valid = mem_valid && sel_mmio && is_write && mem_addr[3:2] == 2'd0;
    assign putc_data  = mem_wdata[7:0];
    wire   exit_wr    = mem_valid && sel_mmio && is_write && mem_addr[3:2] == 2'd1;

    always @(posedge clk) begin
        if (rst) begin
            exit_valid <= 1'b0;
            exit_code  <= 32'd0;
        end else if (exit_wr && !exit_valid) begin
            exit_valid <= 1'b1;
            exit_code  <= mem_wdata;
        end
    end

    assign mem_ready = sel_ram ? ram_ready : 1'b1;
    assign mem_rdata = sel_ram ? ram_rdata : 32'd0;

endmodule
