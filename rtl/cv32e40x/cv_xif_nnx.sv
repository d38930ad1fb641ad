// cv_xif_nnx -- the nnx extension (rtl/nnx/hb_nnx.v, the same datapath as hb_core's) as a
// CV-X-IF coprocessor of CV32E40X (X_EXT = 1, X_NUM_RS = 2).
//
// Issue: a custom-0 R-type instruction with an nnx encoding (rtl/model/nnx.py) is accepted
// with writeback once both source operands are valid; every other offered instruction
// (with X_EXT = 1 the core offers all it does not decode itself, and every CSR access) is
// answered "not accepted" at once, so unknown encodings are illegal instructions as on
// hb_core.  Commit: the accepted instruction waits for its commit (the core may kill it)
// before it reaches hb_nnx, so setq/setout never change state speculatively.  Result: the
// unit's response goes back with the instruction's id and rd.
//
// One instruction at a time (issue is held while one is in flight): simple and exact, not
// pipelined.  The port has no third operand, so mac4 sees rd = 0 as on VexRiscv's CFU;
// firmware uses -DNNX_NO_RD_OPERAND (nnx_mac4 = nnx.dot4 + add).
module cv_xif_nnx #(
    parameter ACC_BANK = 0,     // hb_nnx's accumulator bank (macc/vmac/racc): left out here
    parameter ID_W = 4,
    parameter MUL_STEPS = 4     // hb_nnx's private multiplier: 32 x 9 over 4 cycles
) (
    input  wire            clk,
    input  wire            rst,
    // issue
    input  wire            issue_valid,
    output wire            issue_ready,
    input  wire [31:0]     issue_instr,
    input  wire [ID_W-1:0] issue_id,
    input  wire [31:0]     issue_rs1,
    input  wire [31:0]     issue_rs2,
    input  wire [1:0]      issue_rs_valid,
    output wire            issue_accept,
    // commit
    input  wire            commit_valid,
    input  wire [ID_W-1:0] commit_id,
    input  wire            commit_kill,
    // result
    output wire            result_valid,
    input  wire            result_ready,
    output wire [ID_W-1:0] result_id,
    output wire [31:0]     result_data,
    output wire [4:0]      result_rd
);
    localparam [1:0] S_IDLE = 2'd0, S_COMMIT = 2'd1, S_EXEC = 2'd2, S_RESULT = 2'd3;
    reg [1:0] state;

    wire [2:0] f3 = issue_instr[14:12];
    wire [6:0] f7 = issue_instr[31:25];
    wire is_custom0 = issue_instr[6:0] == 7'h0B;
    wire is_nnx = is_custom0 && ((f3 == 3'd0 && (f7 == 7'd0 || f7 == 7'd1)) ||
                                 (f3 >= 3'd1 && f3 <= 3'd5 && f7 == 7'd0) ||
                                 (ACC_BANK != 0 && f3 == 3'd6 &&
                                  (f7 < 7'd8 || f7 == 7'd8 || f7 == 7'd9)) ||
                                 (ACC_BANK != 0 && f3 == 3'd7 && f7 < 7'd8));   // the bank
    assign issue_accept = is_nnx;
    assign issue_ready  = !is_nnx || (state == S_IDLE && &issue_rs_valid);
    wire take = issue_valid && issue_ready && is_nnx;

    reg [ID_W-1:0] id;
    reg [4:0]      rd;
    reg [2:0]      op_f3;
    reg [6:0]      op_f7;
    reg [31:0]     op_rs1, op_rs2, data;

    wire cmd_ready, rsp_valid;
    reg  sent;     // the command went to hb_nnx, waiting for its response
    wire [31:0] rsp_data;
    /* verilator lint_off UNUSEDSIGNAL */
    wire rsp_illegal, mul_en;
    wire [31:0] mul_a, mul_b;
    /* verilator lint_on UNUSEDSIGNAL */

    hb_nnx #(.ACC_BANK(ACC_BANK), .EXT_MUL(0), .MUL_STEPS(MUL_STEPS)) u_nnx (
        .clk(clk), .rst(rst),
        .cmd_valid(state == S_EXEC && !sent), .cmd_ready(cmd_ready),
        .cmd_funct3(op_f3), .cmd_funct7(op_f7), .cmd_custom1(1'b0),
        .cmd_rs1(op_rs1), .cmd_rs2(op_rs2), .cmd_rd(32'd0),
        .rsp_valid(rsp_valid), .rsp_ready(1'b1), .rsp_data(rsp_data),
        .rsp_illegal(rsp_illegal),
        .mul_en(mul_en), .mul_a(mul_a), .mul_b(mul_b), .mul_p(64'd0)
    );

    // the commit of the instruction held here (it may come in the issue cycle)
    wire [ID_W-1:0] cur_id = state == S_IDLE ? issue_id : id;
    wire committed = commit_valid && commit_id == cur_id;

    always @(posedge clk) begin
        if (rst) begin
            state <= S_IDLE;
            sent <= 1'b0;
        end else begin
            case (state)
                S_IDLE: if (take) begin
                    id <= issue_id; rd <= issue_instr[11:7];
                    op_f3 <= f3; op_f7 <= f7; op_rs1 <= issue_rs1; op_rs2 <= issue_rs2;
                    state <= committed ? (commit_kill ? S_IDLE : S_EXEC) : S_COMMIT;
                end
                S_COMMIT: if (committed) state <= commit_kill ? S_IDLE : S_EXEC;
                S_EXEC: begin
                    if (cmd_ready && !sent) sent <= 1'b1;
                    if (rsp_valid) begin
                        data <= rsp_data;
                        sent <= 1'b0;
                        state <= S_RESULT;
                    end
                end
                default: if (result_ready) state <= S_IDLE;
            endcase
        end
    end

    assign result_valid = state == S_RESULT;
    assign result_id    = id;
    assign result_data  = data;
    assign result_rd    = rd;

endmodule
