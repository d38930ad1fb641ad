// hb_nnx -- int8 neural-network extension ("nnx") for hb_core's CFU port.
//
// Instructions (custom-0 opcode 0x0B, R-type; see rtl/README.md and the
// golden model rtl/model/nnx.py, which is the normative definition):
//
//   funct3 funct7  mnemonic      result (rd)
//   0      0       nnx.mac4      rd + sum_i sext(rs1.b[i]) * sext(rs2.b[i])
//   0      1       nnx.dot4           sum_i sext(rs1.b[i]) * sext(rs2.b[i])
//   1      0       nnx.srdhm     SaturatingRoundingDoublingHighMul(rs1, rs2)
//   2      0       nnx.rdbpot    RoundingDivideByPOT(rs1, rs2[4:0])
//   3      0       nnx.requant   clamp(MBQM(rs1 + rs2, MULT, SHIFT) + ZP, MIN, MAX)
//   4      0       nnx.setq      MULT = rs1, SHIFT = rs2            (rd = 0)
//   5      0       nnx.setout    ZP = rs1, MIN = sext(rs2[15:0]),
//                                MAX = sext(rs2[31:16])            (rd = 0)
//   6      k<8     nnx.macc k    ACC[k] += sum_i sext(rs1.b[i]) * sext(rs2.b[i])  (rd = 0)
//   6      8+j     nnx.vmac j    ACC[4j+i] += sext(rs1.b[i]) * sext(rs2.b[i]),
//                                i = 0..3, per lane, j = 0 or 1    (rd = 0)
//   7      k<8     nnx.racc k    rd = ACC[k]; ACC[k] = 0
//   (ACC[0..7]: the accumulator bank, 8 x 32 bits, reset 0; sums wrap mod 2^32.
//    With ACC_BANK = 0 the bank is not built and these encodings are illegal.)
//   anything else (and every custom-1 instruction): rsp_illegal -> the core
//   raises an illegal-instruction trap.
//
// Timing: the command is accepted whenever the unit is idle or its response
// is being taken in the same cycle (cmd_ready = 1 then).  The response comes 1 cycle after the command for mac4, dot4, setq
// and setout, 2 cycles for rdbpot and 3 cycles for srdhm and requant (2 +
// MUL_STEPS with the private multiplier), which share one 32x32 multiply and
// one rounding shifter (stages M and R).
//
// Area: the 32x32 signed multiply of stage M is not built here when
// EXT_MUL = 1 (hb_cpu): the unit drives mul_a/mul_b and mul_en in stage M
// and the core's own RV32M multiplier, idle while the core waits for the
// response, returns the 64-bit product on mul_p the same cycle.  With
// EXT_MUL = 0 (the CFU and CV-X-IF adapters, stand-alone unit tests) a
// private multiplier is used instead; the function is identical.  MUL_STEPS
// (1, 2 or 4) narrows it: a signed 32 x (32/MUL_STEPS + 1) multiplier used
// MUL_STEPS times in stage M (Horner over the slices of b, the top, signed,
// slice first), so srdhm and requant take MUL_STEPS - 1 more cycles for
// about 1/MUL_STEPS of the multiplier.  SHIFT is stored pre-decoded as the
// clamped left/right shift amounts and MIN/MAX as 16-bit values.
module hb_nnx #(
    parameter ACC_BANK = 1,      // 0: no accumulator bank (macc/vmac/racc are illegal)
    parameter EXT_MUL = 0,
    parameter MUL_STEPS = 1      // private multiplier (EXT_MUL = 0): 1, 2 or 4 cycles
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        cmd_valid,
    output wire        cmd_ready,
    input  wire [2:0]  cmd_funct3,
    input  wire [6:0]  cmd_funct7,
    input  wire        cmd_custom1,
    input  wire [31:0] cmd_rs1,
    input  wire [31:0] cmd_rs2,
    input  wire [31:0] cmd_rd,
    output reg         rsp_valid,
    input  wire        rsp_ready,
    output reg  [31:0] rsp_data,
    output reg         rsp_illegal,
    // shared multiplier (EXT_MUL = 1): signed mul_a * mul_b -> mul_p
    output wire        mul_en,
    output wire [31:0] mul_a,
    output wire [31:0] mul_b,
    input  wire [63:0] mul_p
);

    // ------------------------------------------------------------------
    // configuration registers (written by nnx.setq / nnx.setout)
    // ------------------------------------------------------------------
    reg [31:0] q_mult;
    reg [4:0]  q_left, q_right;    // min(max(SHIFT,0),31), min(max(-SHIFT,0),31)
    reg [31:0] q_zp;
    reg [15:0] q_min, q_max;

    // ------------------------------------------------------------------
    // 4 x int8 dot product (combinational, 1 cycle)
    // ------------------------------------------------------------------
    wire signed [15:0] p0 = $signed(cmd_rs1[ 7: 0]) * $signed(cmd_rs2[ 7: 0]);
    wire signed [15:0] p1 = $signed(cmd_rs1[15: 8]) * $signed(cmd_rs2[15: 8]);
    wire signed [15:0] p2 = $signed(cmd_rs1[23:16]) * $signed(cmd_rs2[23:16]);
    wire signed [15:0] p3 = $signed(cmd_rs1[31:24]) * $signed(cmd_rs2[31:24]);
    wire signed [17:0] dot = {{2{p0[15]}}, p0} + {{2{p1[15]}}, p1} +
                             {{2{p2[15]}}, p2} + {{2{p3[15]}}, p3};
    wire [31:0] dot32 = {{14{dot[17]}}, dot};

    // ------------------------------------------------------------------
    // accumulator bank (macc / vmac / racc): four 32-bit adders, adder i
    // serves ACC[i] and ACC[4+i].  macc k uses adder k[1:0] on ACC[k] with
    // the dot product; vmac j uses all four on ACC[4j..4j+3] with the lane
    // products.
    // ------------------------------------------------------------------
    reg  [31:0] acc [0:7];
    wire        is_vmac = cmd_funct7[3];
    wire        acc_hi  = is_vmac ? cmd_funct7[0] : cmd_funct7[2];
    wire [17:0] lane [0:3];            // addends: 18-bit, sign-extended at the adder
    assign lane[0] = {{2{p0[15]}}, p0};
    assign lane[1] = {{2{p1[15]}}, p1};
    assign lane[2] = {{2{p2[15]}}, p2};
    assign lane[3] = {{2{p3[15]}}, p3};
    // acc_cur[i] = ACC[4*acc_hi + i]: the adders' inputs and (racc k: acc_hi = k[2])
    // the read port, indexed by k[1:0]
    wire [31:0] acc_cur [0:3];
    wire [31:0] acc_sum [0:3];
    genvar gi;
    generate
        for (gi = 0; gi < 4; gi = gi + 1) begin : g_acc_add
            assign acc_cur[gi] = acc_hi ? acc[4 + gi] : acc[gi];
            wire [17:0] addend = is_vmac ? lane[gi] : dot;
            assign acc_sum[gi] = acc_cur[gi] + {{14{addend[17]}}, addend};
        end
    endgenerate

    // ------------------------------------------------------------------
    // stage M: SaturatingRoundingDoublingHighMul from the 64-bit product.
    //   (ab + nudge) / 2^31 with C truncation == floor((ab + 2^30) / 2^31)
    //   for both signs (ab < 0: ab + 1 - 2^30 + (2^31 - 1) = ab + 2^30), so
    //   the result is bits [32:1] of ab[63:30] + 1.  The only overflow,
    //   INT32_MIN * INT32_MIN = 2^62, is the only product with bit 62 set
    //   and bit 63 clear: saturate to INT32_MAX.
    // ------------------------------------------------------------------
    reg  [31:0] fp_a, fp_b, fp_y;
    reg  [4:0]  fp_e;
    reg         fp_requant;        // apply zero point + clamp in stage R
    reg  [1:0]  busy;              // 2: stage M next, 1: stage R next, 0: idle

    /* verilator lint_off UNUSEDSIGNAL */
    wire [63:0] prod;              // bits 29:0 do not affect the result
    /* verilator lint_on UNUSEDSIGNAL */
    wire        m_last;            // the last cycle of stage M
    generate
        if (EXT_MUL != 0) begin : g_ext_mul
            assign prod = mul_p;
            assign m_last = 1'b1;
        end else if (MUL_STEPS == 1) begin : g_own_mul
            assign prod = $signed(fp_a) * $signed(fp_b);
            assign m_last = 1'b1;
            /* verilator lint_off UNUSEDSIGNAL */
            wire unused_mul_p = &{1'b0, mul_p};
            /* verilator lint_on UNUSEDSIGNAL */
        end else begin : g_seq_mul
            // a * b by Horner over the W-bit slices of b: acc = acc * 2^W + a * slice,
            // the first (top) slice signed, the others unsigned; stage M shifts fp_b left
            // by W each cycle, so its top W bits are the current slice
            localparam W = 32 / MUL_STEPS;
            localparam [1:0] LAST = MUL_STEPS[1:0] - 2'd1;
            reg [1:0]  m_step;
            reg [63:0] m_acc;
            wire first = m_step == 2'd0;
            wire signed [W:0] slice = {first && fp_b[31], fp_b[31:32-W]};
            wire signed [32+W:0] part = $signed(fp_a) * slice;
            assign prod = (first ? 64'd0 : m_acc << W) + {{(31-W){part[32+W]}}, part};
            assign m_last = m_step == LAST;
            always @(posedge clk) begin
                if (rst || busy != 2'd2 || m_last) begin
                    m_step <= 2'd0;
                end else begin
                    m_step <= m_step + 2'd1;
                end
                m_acc <= prod;
            end
            /* verilator lint_off UNUSEDSIGNAL */
            wire unused_mul_p = &{1'b0, mul_p};
            /* verilator lint_on UNUSEDSIGNAL */
        end
    endgenerate
    assign mul_en = busy == 2'd2;
    assign mul_a  = fp_a;
    assign mul_b  = fp_b;

    /* verilator lint_off UNUSEDSIGNAL */
    wire [33:0] rnd = prod[63:30] + 34'd1;      // bits 33 and 0 unused
    /* verilator lint_on UNUSEDSIGNAL */
    wire [31:0] srdhm_y = (!prod[63] && prod[62]) ? 32'h7FFF_FFFF : rnd[32:1];

    // ------------------------------------------------------------------
    // stage R: RoundingDivideByPOT(Y, E), 0 <= E <= 31
    //   remainder > threshold  <=>  E != 0 and bit E-1 of Y is set and
    //   (Y >= 0 or one of the bits below E-1 is set)
    // ------------------------------------------------------------------
    wire [31:0] low_mask = (32'd1 << fp_e) - 32'd1;           // bits below E
    wire [31:0] half_bits = fp_y & low_mask & ~(low_mask >> 1); // bit E-1 (if any)
    wire        below_nz = |(fp_y & (low_mask >> 1));
    wire        round_up = (|half_bits) && (!fp_y[31] || below_nz);
    wire [31:0] fp_r   = $unsigned($signed(fp_y) >>> fp_e) + {31'd0, round_up};
    wire [31:0] fp_z   = fp_r + q_zp;
    wire [31:0] mn     = {{16{q_min[15]}}, q_min};
    wire [31:0] mx     = {{16{q_max[15]}}, q_max};
    wire [31:0] fp_lo  = ($signed(fp_z) < $signed(mn)) ? mn : fp_z;
    wire [31:0] fp_out = fp_requant ? (($signed(fp_lo) > $signed(mx)) ? mx : fp_lo) : fp_r;

    // setq: pre-decode SHIFT into clamped left / right shift amounts
    //   SHIFT < 0: -SHIFT > 31 unless SHIFT is in -31 .. -1, i.e. bits 31:5 all ones and
    //   bits 4:0 not 0; then -SHIFT = (-SHIFT[4:0]) mod 32 (a 5-bit negation suffices)
    wire [4:0]  neg_low   = ~cmd_rs2[4:0] + 5'd1;
    wire        sh_pos    = !cmd_rs2[31] && cmd_rs2 != 32'd0;
    wire [4:0]  new_left  = !sh_pos ? 5'd0 : ((cmd_rs2[31:5] != 27'd0) ? 5'd31 : cmd_rs2[4:0]);
    wire [4:0]  new_right = !cmd_rs2[31] ? 5'd0 :
                            ((!(&cmd_rs2[31:5]) || cmd_rs2[4:0] == 5'd0) ? 5'd31 : neg_low);

    // ------------------------------------------------------------------
    // control
    // ------------------------------------------------------------------
    // a new command may be accepted in the cycle the previous response is taken
    // (a pipelined core issues back-to-back; hb_core never does, so its CPI is
    // unchanged)
    assign cmd_ready = (busy == 2'd0) && (!rsp_valid || rsp_ready);

    wire legal = !cmd_custom1 && (
                   (cmd_funct3 == 3'd0 && (cmd_funct7 == 7'd0 || cmd_funct7 == 7'd1)) ||
                   (cmd_funct3 >= 3'd1 && cmd_funct3 <= 3'd5 && cmd_funct7 == 7'd0) ||
                   (ACC_BANK != 0 && cmd_funct3 == 3'd6 &&
                    (cmd_funct7 < 7'd8 || cmd_funct7 == 7'd8 || cmd_funct7 == 7'd9)) ||
                   (ACC_BANK != 0 && cmd_funct3 == 3'd7 && cmd_funct7 < 7'd8));
    // (ACC_BANK = 0: a constant 0, so synthesis drops the bank's flip-flops and adders)
    wire acc_take = (ACC_BANK != 0) && cmd_valid && cmd_ready && legal;

    // the bank: written by macc / vmac (sum) and racc (clear)
    integer ai;
    always @(posedge clk) begin
        for (ai = 0; ai < 8; ai = ai + 1) begin
            if (rst) begin
                acc[ai] <= 32'd0;
            end else if (acc_take && cmd_funct3 == 3'd6 &&
                         (is_vmac ? (cmd_funct7[0] == ai[2])
                                  : (cmd_funct7[2:0] == ai[2:0]))) begin
                acc[ai] <= acc_sum[ai[1:0]];
            end else if (acc_take && cmd_funct3 == 3'd7 && cmd_funct7[2:0] == ai[2:0]) begin
                acc[ai] <= 32'd0;
            end
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            q_mult <= 32'h4000_0000;   // 0.5 in Q31
            q_left <= 5'd0;
            q_right <= 5'd0;
            q_zp <= 32'd0;
            q_min <= 16'hFF80;         // -128
            q_max <= 16'h007F;         //  127
            busy <= 2'd0;
            rsp_valid <= 1'b0;
            rsp_data <= 32'd0;
            rsp_illegal <= 1'b0;
            fp_a <= 32'd0;
            fp_b <= 32'd0;
            fp_y <= 32'd0;
            fp_e <= 5'd0;
            fp_requant <= 1'b0;
        end else begin
            if (rsp_valid && rsp_ready) rsp_valid <= 1'b0;

            if (busy == 2'd2) begin            // stage M (MUL_STEPS cycles)
                if (m_last) begin
                    fp_y <= srdhm_y;
                    busy <= 2'd1;
                end else begin
                    fp_b <= fp_b << (32 / MUL_STEPS);
                end
            end else if (busy == 2'd1) begin   // stage R
                rsp_data <= fp_out;
                rsp_illegal <= 1'b0;
                rsp_valid <= 1'b1;
                busy <= 2'd0;
            end

            if (cmd_valid && cmd_ready) begin
                rsp_illegal <= !legal;
                rsp_data <= 32'd0;
                if (!legal) begin
                    rsp_valid <= 1'b1;
                end else begin
                    case (cmd_funct3)
                        3'd0: begin
                            rsp_data  <= (cmd_funct7[0] ? 32'd0 : cmd_rd) + dot32;
                            rsp_valid <= 1'b1;
                        end
                        3'd1: begin            // srdhm
                            fp_a <= cmd_rs1; fp_b <= cmd_rs2; fp_e <= 5'd0;
                            fp_requant <= 1'b0; busy <= 2'd2;
                        end
                        3'd2: begin            // rdbpot
                            fp_y <= cmd_rs1; fp_e <= cmd_rs2[4:0];
                            fp_requant <= 1'b0; busy <= 2'd1;
                        end
                        3'd3: begin            // requant
                            fp_a <= (cmd_rs1 + cmd_rs2) << q_left; fp_b <= q_mult;
                            fp_e <= q_right; fp_requant <= 1'b1; busy <= 2'd2;
                        end
                        3'd4: begin
                            q_mult <= cmd_rs1; q_left <= new_left; q_right <= new_right;
                            rsp_valid <= 1'b1;
                        end
                        3'd5: begin            // setout
                            q_zp  <= cmd_rs1;
                            q_min <= cmd_rs2[15:0];
                            q_max <= cmd_rs2[31:16];
                            rsp_valid <= 1'b1;
                        end
                        3'd6: rsp_valid <= 1'b1;      // macc / vmac: the bank (above)
                        default: begin         // 7: racc (the bank clears ACC[k])
                            rsp_data  <= acc_cur[cmd_funct7[1:0]];
                            rsp_valid <= 1'b1;
                        end
                    endcase
                end
            end
        end
    end

endmodule
