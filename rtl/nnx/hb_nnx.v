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
//   anything else (and every custom-1 instruction): rsp_illegal -> the core
//   raises an illegal-instruction trap.
//
// Timing: the command is accepted whenever the unit is idle (cmd_ready = 1
// then).  The response comes 1 cycle after the command for mac4, dot4, setq
// and setout, 2 cycles for rdbpot and 3 cycles for srdhm and requant, which
// share one 32x32 multiplier and one rounding shifter (stages M and R).
module hb_nnx (
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
    output reg         rsp_illegal
);

    // ------------------------------------------------------------------
    // configuration registers (written by nnx.setq / nnx.setout)
    // ------------------------------------------------------------------
    reg [31:0] q_mult;
    reg [31:0] q_shift;
    reg [31:0] q_zp;
    reg [31:0] q_min, q_max;

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
    // SaturatingRoundingDoublingHighMul(a, b)  (TFLite / gemmlowp)
    // ------------------------------------------------------------------
    function [31:0] srdhm;
        input [31:0] a;
        input [31:0] b;
        reg signed [63:0] ab;
        reg signed [63:0] sum;
        /* verilator lint_off UNUSEDSIGNAL */
        reg signed [63:0] q;   // only the low 32 bits are the result
        /* verilator lint_on UNUSEDSIGNAL */
        begin
            ab  = $signed(a) * $signed(b);
            sum = ab + (ab[63] ? 64'shFFFF_FFFF_C000_0001 : 64'sh0000_0000_4000_0000);
            // C division truncates toward zero: bias negative values before >>>
            q   = (sum + (sum[63] ? 64'sh0000_0000_7FFF_FFFF : 64'sh0)) >>> 31;
            if (a == 32'h8000_0000 && b == 32'h8000_0000) srdhm = 32'h7FFF_FFFF;
            else srdhm = q[31:0];
        end
    endfunction

    // ------------------------------------------------------------------
    // RoundingDivideByPOT(x, e), 0 <= e <= 31
    // ------------------------------------------------------------------
    function [31:0] rdbpot;
        input [31:0] x;
        input [4:0]  e;
        reg [31:0] mask, rem, thr;
        begin
            mask   = (32'd1 << e) - 32'd1;
            rem    = x & mask;
            thr    = (mask >> 1) + {31'd0, x[31]};
            rdbpot = $unsigned($signed(x) >>> e) + {31'd0, rem > thr};
        end
    endfunction

    // ------------------------------------------------------------------
    // shared fixed-point pipeline (one 32x32 multiplier, one rounding shifter)
    //   srdhm   : A = rs1, B = rs2, E = 0               -> stage M -> stage R
    //   rdbpot  : Y = rs1, E = rs2[4:0]                            -> stage R
    //   requant : A = (rs1 + rs2) << max(SHIFT, 0), B = MULT,
    //             E = min(max(-SHIFT, 0), 31)           -> stage M -> stage R
    //   stage M : Y = srdhm(A, B)
    //   stage R : Z = rdbpot(Y, E); requant: Z = clamp(Z + ZP, MIN, MAX)
    // ------------------------------------------------------------------
    wire        shift_pos  = !q_shift[31] && q_shift != 32'd0;
    wire [4:0]  left_sh    = shift_pos ? ((q_shift > 32'd31) ? 5'd31 : q_shift[4:0]) : 5'd0;
    wire [31:0] neg_shift  = ~q_shift + 32'd1;
    wire [4:0]  right_sh   = (!q_shift[31]) ? 5'd0 :
                             ((neg_shift > 32'd31) ? 5'd31 : neg_shift[4:0]);

    reg  [31:0] fp_a, fp_b, fp_y;
    reg  [4:0]  fp_e;
    reg         fp_requant;        // apply zero point + clamp in stage R
    wire [31:0] fp_r   = rdbpot(fp_y, fp_e);
    wire [31:0] fp_z   = fp_r + q_zp;
    wire [31:0] fp_lo  = ($signed(fp_z) < $signed(q_min)) ? q_min : fp_z;
    wire [31:0] fp_out = fp_requant ? (($signed(fp_lo) > $signed(q_max)) ? q_max : fp_lo) : fp_r;

    // ------------------------------------------------------------------
    // control
    // ------------------------------------------------------------------
    reg [1:0] busy;        // 2: stage M next, 1: stage R next, 0: idle
    assign cmd_ready = (busy == 2'd0) && !rsp_valid;

    wire legal = !cmd_custom1 && (
                   (cmd_funct3 == 3'd0 && (cmd_funct7 == 7'd0 || cmd_funct7 == 7'd1)) ||
                   (cmd_funct3 >= 3'd1 && cmd_funct3 <= 3'd5 && cmd_funct7 == 7'd0));

    always @(posedge clk) begin
        if (rst) begin
            q_mult <= 32'h4000_0000;   // 0.5 in Q31
            q_shift <= 32'd0;
            q_zp <= 32'd0;
            q_min <= 32'hFFFF_FF80;    // -128
            q_max <= 32'h0000_007F;    //  127
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

            if (busy == 2'd2) begin            // stage M
                fp_y <= srdhm(fp_a, fp_b);
                busy <= 2'd1;
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
                            fp_a <= (cmd_rs1 + cmd_rs2) << left_sh; fp_b <= q_mult;
                            fp_e <= right_sh; fp_requant <= 1'b1; busy <= 2'd2;
                        end
                        3'd4: begin q_mult <= cmd_rs1; q_shift <= cmd_rs2; rsp_valid <= 1'b1; end
                        default: begin   // 5: setout
                            q_zp  <= cmd_rs1;
                            q_min <= {{16{cmd_rs2[15]}}, cmd_rs2[15:0]};
                            q_max <= {{16{cmd_rs2[31]}}, cmd_rs2[31:16]};
                            rsp_valid <= 1'b1;
                        end
                    endcase
                end
            end
        end
    end

endmodule
