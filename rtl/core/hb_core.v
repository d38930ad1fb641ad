// hb_core -- hilbench RV32IM + Zicsr multi-cycle core with a CFU-style
// extension port on the custom-0 (0x0B) and custom-1 (0x2B) opcodes.
//
// Plain Verilog-2005 (readable by Verilator and Yosys 0.23).
//
// Micro-architecture (one instruction at a time, no pipeline):
//
//   S_FETCH ---mem_ready--> S_EXEC --ALU/branch/jump/CSR/MUL--> S_FETCH
//      ^                      |----load/store----> S_MEM ----> S_FETCH
//      |                      |----DIV/REM-------> S_DIV (32) -> S_FETCH
//      |                      |----custom--------> [S_CFU_CMD] -> S_CFU_RSP -> S_FETCH
//      |                      '----trap----------> S_FETCH @ mtvec   (or S_HALT if mtvec == 0)
//
// * S_FETCH holds mem_valid with mem_addr = pc until mem_ready.  In the
//   mem_ready cycle the instruction is latched and rs1/rs2 are read from the
//   register file (addresses taken straight from mem_rdata).
// * S_EXEC decodes and executes in one cycle.  The register file's first read
//   port is re-used here to read x[rd] (the third source operand that the
//   extension may use as an accumulator): no third read port, no extra cycle.
// * Memory: one shared valid/ready bus for instructions and data
//   (mem_valid stays high with stable address/data until mem_ready).
// * Unhandled trap: if mtvec == 0 the core stops in S_HALT with
//   halted=1 and the cause in mcause/halt_cause (2 = illegal instruction).
//   Otherwise it jumps to mtvec (direct mode) with mepc/mcause/mtval set.
// * halt_i (from the SoC's exit register) freezes the whole core, counters
//   included, so the values observed after an exit are final.
module hb_core #(
    parameter ENABLE_CFU = 0,            // 1: custom-0/1 go to the CFU port
    parameter [31:0] RESET_PC = 32'h0000_0000
) (
    input  wire        clk,
    input  wire        rst,              // synchronous, active high
    input  wire        halt_i,           // freeze (exit register written)

    // memory bus (instruction + data)
    output wire        mem_valid,
    output wire [31:0] mem_addr,         // word aligned for data accesses
    output wire [31:0] mem_wdata,
    output wire [3:0]  mem_wstrb,        // 0 = read
    input  wire        mem_ready,
    input  wire [31:0] mem_rdata,

    // custom function unit (extension) port
    output wire        cfu_cmd_valid,
    input  wire        cfu_cmd_ready,
    output wire [2:0]  cfu_cmd_funct3,
    output wire [6:0]  cfu_cmd_funct7,
    output wire        cfu_cmd_custom1,  // 0: custom-0 (0x0B), 1: custom-1 (0x2B)
    output wire [31:0] cfu_cmd_rs1,
    output wire [31:0] cfu_cmd_rs2,
    output wire [31:0] cfu_cmd_rd,       // current x[rd] (accumulator input)
    input  wire        cfu_rsp_valid,
    output wire        cfu_rsp_ready,
    input  wire [31:0] cfu_rsp_data,
    input  wire        cfu_rsp_illegal,  // unit does not implement funct3/funct7
    // shared multiplier: while the core waits for a CFU response (S_CFU_RSP,
    // its multiplier is idle) the unit may assert cfu_mul_en and gets the
    // signed 64-bit product cfu_mul_a * cfu_mul_b on cfu_mul_p, combinationally
    input  wire        cfu_mul_en,
    input  wire [31:0] cfu_mul_a,
    input  wire [31:0] cfu_mul_b,
    output wire [63:0] cfu_mul_p,

    // status
    output wire        halted,
    output wire [31:0] halt_cause,
    output wire [31:0] halt_pc,
    output wire [31:0] halt_tval,
    output wire [63:0] mcycle_o,
    output wire [63:0] minstret_o,
    output wire [31:0] pc_o
);

    // ------------------------------------------------------------------
    // state
    // ------------------------------------------------------------------
    localparam [2:0] S_FETCH   = 3'd0,
                     S_EXEC    = 3'd1,
                     S_MEM     = 3'd2,
                     S_DIV     = 3'd3,
                     S_CFU_CMD = 3'd4,
                     S_CFU_RSP = 3'd5,
                     S_HALT    = 3'd6;

    reg [2:0]  state;
    reg [31:0] pc;
    reg [31:0] instr;
    reg [31:0] rs1_q, rs2_q;
    reg [63:0] mcycle, minstret;
    reg [31:0] mtvec, mepc, mcause, mtval, mscratch;

    // register file: 2 asynchronous read ports, 1 write port
    reg [31:0] rf [0:31];
    wire [4:0]  rf_ra = (state == S_FETCH) ? mem_rdata[19:15] : instr[11:7];
    wire [4:0]  rf_rb = mem_rdata[24:20];
    wire [31:0] rf_a  = (rf_ra == 5'd0) ? 32'd0 : rf[rf_ra];
    wire [31:0] rf_b  = (rf_rb == 5'd0) ? 32'd0 : rf[rf_rb];
    wire [31:0] rd_val = rf_a;           // valid outside S_FETCH

    // ------------------------------------------------------------------
    // decode (of the latched instruction)
    // ------------------------------------------------------------------
    wire [6:0] opcode = instr[6:0];
    wire [4:0] rd     = instr[11:7];
    wire [2:0] funct3 = instr[14:12];
    wire [6:0] funct7 = instr[31:25];
    wire [4:0] rs1    = instr[19:15];

    wire [31:0] imm_i = {{20{instr[31]}}, instr[31:20]};
    wire [31:0] imm_s = {{20{instr[31]}}, instr[31:25], instr[11:7]};
    wire [31:0] imm_b = {{19{instr[31]}}, instr[31], instr[7], instr[30:25], instr[11:8], 1'b0};
    wire [31:0] imm_u = {instr[31:12], 12'd0};
    wire [31:0] imm_j = {{11{instr[31]}}, instr[31], instr[19:12], instr[20], instr[30:21], 1'b0};

    localparam [6:0] OP_LUI    = 7'b0110111,
                     OP_AUIPC  = 7'b0010111,
                     OP_JAL    = 7'b1101111,
                     OP_JALR   = 7'b1100111,
                     OP_BRANCH = 7'b1100011,
                     OP_LOAD   = 7'b0000011,
                     OP_STORE  = 7'b0100011,
                     OP_IMM    = 7'b0010011,
                     OP_OP     = 7'b0110011,
                     OP_FENCE  = 7'b0001111,
                     OP_SYSTEM = 7'b1110011,
                     OP_CUST0  = 7'b0001011,
                     OP_CUST1  = 7'b0101011;

    wire is_lui    = opcode == OP_LUI;
    wire is_auipc  = opcode == OP_AUIPC;
    wire is_jal    = opcode == OP_JAL;
    wire is_jalr   = opcode == OP_JALR   && funct3 == 3'd0;
    wire is_branch = opcode == OP_BRANCH && funct3 != 3'd2 && funct3 != 3'd3;
    wire is_load   = opcode == OP_LOAD   && (funct3 == 3'd0 || funct3 == 3'd1 || funct3 == 3'd2 ||
                                             funct3 == 3'd4 || funct3 == 3'd5);
    wire is_store  = opcode == OP_STORE  && (funct3 == 3'd0 || funct3 == 3'd1 || funct3 == 3'd2);
    wire shift_imm = funct3 == 3'd1 || funct3 == 3'd5;
    wire is_opimm  = opcode == OP_IMM &&
                     (!shift_imm || funct7 == 7'b0000000 || (funct3 == 3'd5 && funct7 == 7'b0100000));
    wire is_alu_rr = opcode == OP_OP &&
                     (funct7 == 7'b0000000 ||
                      (funct7 == 7'b0100000 && (funct3 == 3'd0 || funct3 == 3'd5)));
    wire is_muldiv = opcode == OP_OP && funct7 == 7'b0000001;
    wire is_mul    = is_muldiv && !funct3[2];
    wire is_div    = is_muldiv &&  funct3[2];
    wire is_fence  = opcode == OP_FENCE && (funct3 == 3'd0 || funct3 == 3'd1);
    wire is_ecall  = instr == 32'h0000_0073;
    wire is_ebreak = instr == 32'h0010_0073;
    wire is_mret   = instr == 32'h3020_0073;
    wire is_wfi    = instr == 32'h1050_0073;
    wire is_csr    = opcode == OP_SYSTEM && funct3 != 3'd0 && funct3 != 3'd4;
    wire is_custom = (ENABLE_CFU != 0) && (opcode == OP_CUST0 || opcode == OP_CUST1);

    // ------------------------------------------------------------------
    // ALU
    // ------------------------------------------------------------------
    wire [31:0] alu_b   = (opcode == OP_OP) ? rs2_q : imm_i;
    wire [4:0]  shamt   = alu_b[4:0];
    wire        alt     = (opcode == OP_OP) ? funct7[5] : (funct3 == 3'd5 && funct7[5]);
    reg  [31:0] alu_out;
    always @(*) begin
        case (funct3)
            3'd0: alu_out = alt ? rs1_q - alu_b : rs1_q + alu_b;
            3'd1: alu_out = rs1_q << shamt;
            3'd2: alu_out = {31'd0, $signed(rs1_q) < $signed(alu_b)};
            3'd3: alu_out = {31'd0, rs1_q < alu_b};
            3'd4: alu_out = rs1_q ^ alu_b;
            3'd5: alu_out = alt ? $unsigned($signed(rs1_q) >>> shamt) : rs1_q >> shamt;
            3'd6: alu_out = rs1_q | alu_b;
            default: alu_out = rs1_q & alu_b;
        endcase
    end

    // branch condition
    reg br_take;
    always @(*) begin
        case (funct3)
            3'd0: br_take = rs1_q == rs2_q;
            3'd1: br_take = rs1_q != rs2_q;
            3'd4: br_take = $signed(rs1_q) <  $signed(rs2_q);
            3'd5: br_take = $signed(rs1_q) >= $signed(rs2_q);
            3'd6: br_take = rs1_q <  rs2_q;
            default: br_take = rs1_q >= rs2_q;
        endcase
    end

    wire [31:0] pc_plus4   = pc + 32'd4;
    wire [31:0] jal_tgt    = pc + imm_j;
    wire [31:0] jalr_tgt   = (rs1_q + imm_i) & 32'hFFFF_FFFE;
    wire [31:0] br_tgt     = pc + imm_b;

    // ------------------------------------------------------------------
    // multiplier (single cycle, 33x33 signed)
    // ------------------------------------------------------------------
    wire        mul_sa = (funct3 == 3'd1 || funct3 == 3'd2) ? rs1_q[31] : 1'b0; // MULH, MULHSU
    wire        mul_sb = (funct3 == 3'd1) ? rs2_q[31] : 1'b0;                   // MULH
    // the CFU borrows the multiplier only in S_CFU_RSP (ENABLE_CFU = 0: never)
    wire signed [32:0] mul_a, mul_b;
    generate
        if (ENABLE_CFU != 0) begin : g_mul_share
            wire mul_ext = cfu_mul_en && state == S_CFU_RSP;
            assign mul_a = mul_ext ? {cfu_mul_a[31], cfu_mul_a} : {mul_sa, rs1_q};
            assign mul_b = mul_ext ? {cfu_mul_b[31], cfu_mul_b} : {mul_sb, rs2_q};
        end else begin : g_mul_own
            assign mul_a = {mul_sa, rs1_q};
            assign mul_b = {mul_sb, rs2_q};
            /* verilator lint_off UNUSEDSIGNAL */
            wire unused_cfu_mul = &{1'b0, cfu_mul_en, cfu_mul_a, cfu_mul_b};
            /* verilator lint_on UNUSEDSIGNAL */
        end
    endgenerate
    /* verilator lint_off UNUSEDSIGNAL */
    wire signed [65:0] mul_p = mul_a * mul_b;   // bits 65:64 unused
    /* verilator lint_on UNUSEDSIGNAL */
    wire [31:0] mul_out = (funct3 == 3'd0) ? mul_p[31:0] : mul_p[63:32];
    assign cfu_mul_p = mul_p[63:0];

    // ------------------------------------------------------------------
    // divider (iterative restoring, 1 quotient bit per cycle)
    // ------------------------------------------------------------------
    reg  [31:0] div_q, div_r, div_d;   // quotient/dividend shift reg, remainder, divisor
    reg  [5:0]  div_cnt;
    reg         div_negq, div_negr, div_rem;
    wire        div_signed = !funct3[0];               // DIV, REM
    wire        div_a_neg  = div_signed && rs1_q[31];
    wire        div_b_neg  = div_signed && rs2_q[31];
    wire [31:0] div_a_abs  = div_a_neg ? (~rs1_q + 32'd1) : rs1_q;
    wire [31:0] div_b_abs  = div_b_neg ? (~rs2_q + 32'd1) : rs2_q;
    wire [32:0] div_shift  = {div_r, div_q[31]};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [33:0] div_diff   = {1'b0, div_shift} - {2'b00, div_d};   // bit 32 unused
    /* verilator lint_on UNUSEDSIGNAL */
    wire        div_ge     = !div_diff[33];
    wire [31:0] div_r_next = div_ge ? div_diff[31:0] : div_shift[31:0];
    wire [31:0] div_q_next = {div_q[30:0], div_ge};
    wire [31:0] div_res_q  = div_negq ? (~div_q_next + 32'd1) : div_q_next;
    wire [31:0] div_res_r  = div_negr ? (~div_r_next + 32'd1) : div_r_next;

    // ------------------------------------------------------------------
    // CSRs
    // ------------------------------------------------------------------
    wire [11:0] csr_addr = instr[31:20];
    wire [31:0] csr_src  = funct3[2] ? {27'd0, rs1} : rs1_q;   // zimm or rs1
    localparam [31:0] MISA = 32'h4000_1100 | ((ENABLE_CFU != 0) ? 32'h0080_0000 : 32'd0); // RV32 I M (+X)
    reg [31:0] csr_rdata;
    reg        csr_known;
    always @(*) begin
        csr_known = 1'b1;
        case (csr_addr)
            12'h300: csr_rdata = 32'h0000_1800;   // mstatus: MPP = M, nothing else
            12'h301: csr_rdata = MISA;
            12'h304: csr_rdata = 32'd0;           // mie
            12'h344: csr_rdata = 32'd0;           // mip
            12'h305: csr_rdata = mtvec;
            12'h340: csr_rdata = mscratch;
            12'h341: csr_rdata = mepc;
            12'h342: csr_rdata = mcause;
            12'h343: csr_rdata = mtval;
            12'hB00, 12'hC00, 12'hC01: csr_rdata = mcycle[31:0];
            12'hB80, 12'hC80, 12'hC81: csr_rdata = mcycle[63:32];
            12'hB02, 12'hC02: csr_rdata = minstret[31:0];
            12'hB82, 12'hC82: csr_rdata = minstret[63:32];
            12'hF11, 12'hF12, 12'hF13, 12'hF14: csr_rdata = 32'd0;
            default: begin csr_rdata = 32'd0; csr_known = 1'b0; end
        endcase
    end
    // csrrw always writes; csrrs/csrrc write only if rs1/zimm field != 0
    wire        csr_wen    = (funct3[1:0] == 2'b01) || (rs1 != 5'd0);
    wire        csr_ro     = csr_addr[11:10] == 2'b11;
    wire        csr_ok     = csr_known && !(csr_wen && csr_ro);
    reg  [31:0] csr_wdata;
    always @(*) begin
        case (funct3[1:0])
            2'b01:   csr_wdata = csr_src;
            2'b10:   csr_wdata = csr_rdata | csr_src;
            default: csr_wdata = csr_rdata & ~csr_src;
        endcase
    end

    // ------------------------------------------------------------------
    // load/store unit
    // ------------------------------------------------------------------
    reg  [31:0] ls_addr;
    wire [31:0] ea        = rs1_q + (opcode == OP_STORE ? imm_s : imm_i);
    wire        ea_misal  = (funct3[1:0] == 2'b01 && ea[0]) ||
                            (funct3[1:0] == 2'b10 && ea[1:0] != 2'b00);
    wire [31:0] st_data   = (funct3[1:0] == 2'b00) ? {4{rs2_q[7:0]}} :
                            (funct3[1:0] == 2'b01) ? {2{rs2_q[15:0]}} : rs2_q;
    wire [3:0]  st_strb   = (funct3[1:0] == 2'b00) ? (4'b0001 << ls_addr[1:0]) :
                            (funct3[1:0] == 2'b01) ? (ls_addr[1] ? 4'b1100 : 4'b0011) : 4'b1111;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] ld_shift  = mem_rdata >> {ls_addr[1:0], 3'b000};   // bits 31:16 unused
    /* verilator lint_on UNUSEDSIGNAL */
    reg  [31:0] ld_data;
    always @(*) begin
        case (funct3)
            3'd0:    ld_data = {{24{ld_shift[7]}},  ld_shift[7:0]};
            3'd1:    ld_data = {{16{ld_shift[15]}}, ld_shift[15:0]};
            3'd4:    ld_data = {24'd0, ld_shift[7:0]};
            3'd5:    ld_data = {16'd0, ld_shift[15:0]};
            default: ld_data = mem_rdata;
        endcase
    end

    // ------------------------------------------------------------------
    // bus and CFU outputs
    // ------------------------------------------------------------------
    assign mem_valid = !halt_i && (state == S_FETCH || state == S_MEM);
    assign mem_addr  = (state == S_MEM) ? {ls_addr[31:2], 2'b00} : pc;
    assign mem_wdata = st_data;
    assign mem_wstrb = (state == S_MEM && opcode == OP_STORE) ? st_strb : 4'b0000;

    assign cfu_cmd_valid   = !halt_i && ((state == S_EXEC && is_custom) || state == S_CFU_CMD);
    assign cfu_cmd_funct3  = funct3;
    assign cfu_cmd_funct7  = funct7;
    assign cfu_cmd_custom1 = opcode[5];
    assign cfu_cmd_rs1     = rs1_q;
    assign cfu_cmd_rs2     = rs2_q;
    assign cfu_cmd_rd      = rd_val;
    assign cfu_rsp_ready   = !halt_i && state == S_CFU_RSP;

    assign halted     = state == S_HALT;
    assign halt_cause = mcause;
    assign halt_pc    = mepc;
    assign halt_tval  = mtval;
    assign mcycle_o   = mcycle;
    assign minstret_o = minstret;
    assign pc_o       = pc;

    // ------------------------------------------------------------------
    // sequential part
    // ------------------------------------------------------------------
    // helpers used by the EXEC state
    reg        wb_en;      // write rd this cycle
    reg [31:0] wb_data;
    reg        retire;     // instruction completes this cycle
    reg        csr_write;  // CSR instruction writes its CSR
    reg        trap;       // take a trap this cycle
    reg [31:0] trap_cause, trap_val;
    reg [31:0] next_pc;
    reg [2:0]  next_state;

    always @(*) begin
        wb_en = 1'b0; wb_data = 32'd0; retire = 1'b0; csr_write = 1'b0;
        trap = 1'b0; trap_cause = 32'd0; trap_val = 32'd0;
        next_pc = pc_plus4; next_state = state;
        case (state)
            S_FETCH: if (mem_ready) next_state = S_EXEC;
            S_EXEC: begin
                next_state = S_FETCH;
                retire = 1'b1;
                if (is_lui)        begin wb_en = 1'b1; wb_data = imm_u; end
                else if (is_auipc) begin wb_en = 1'b1; wb_data = pc + imm_u; end
                else if (is_jal || is_jalr) begin
                    wb_en = 1'b1; wb_data = pc_plus4;
                    next_pc = is_jal ? jal_tgt : jalr_tgt;
                end
                else if (is_branch) begin
                    if (br_take) next_pc = br_tgt;
                end
                else if (is_opimm || is_alu_rr) begin wb_en = 1'b1; wb_data = alu_out; end
                else if (is_mul)   begin wb_en = 1'b1; wb_data = mul_out; end
                else if (is_div)   begin retire = 1'b0; next_state = S_DIV; end
                else if (is_load || is_store) begin
                    retire = 1'b0;
                    if (ea_misal) begin
                        trap = 1'b1; trap_val = ea;
                        trap_cause = is_load ? 32'd4 : 32'd6;
                    end else next_state = S_MEM;
                end
                else if (is_fence || is_wfi) begin end
                else if (is_mret)  begin next_pc = mepc; end
                else if (is_csr && csr_ok) begin
                    wb_en = 1'b1; wb_data = csr_rdata; csr_write = csr_wen;
                end
                else if (is_custom) begin
                    retire = 1'b0;
                    next_state = cfu_cmd_ready ? S_CFU_RSP : S_CFU_CMD;
                end
                else if (is_ecall)  begin retire = 1'b0; trap = 1'b1; trap_cause = 32'd11; end
                else if (is_ebreak) begin retire = 1'b0; trap = 1'b1; trap_cause = 32'd3; trap_val = pc; end
                else begin retire = 1'b0; trap = 1'b1; trap_cause = 32'd2; trap_val = instr; end
                // jumps/branches to a misaligned target trap on the jump itself
                if (retire && next_pc[1:0] != 2'b00) begin
                    retire = 1'b0; wb_en = 1'b0; trap = 1'b1;
                    trap_cause = 32'd0; trap_val = next_pc;
                end
            end
            S_MEM: if (mem_ready) begin
                next_state = S_FETCH; retire = 1'b1;
                if (opcode == OP_LOAD) begin wb_en = 1'b1; wb_data = ld_data; end
            end
            S_DIV: if (div_cnt == 6'd1) begin
                next_state = S_FETCH; retire = 1'b1; wb_en = 1'b1;
                wb_data = div_rem ? div_res_r : div_res_q;
            end
            S_CFU_CMD: if (cfu_cmd_ready) next_state = S_CFU_RSP;
            S_CFU_RSP: if (cfu_rsp_valid) begin
                if (cfu_rsp_illegal) begin
                    trap = 1'b1; trap_cause = 32'd2; trap_val = instr;
                end else begin
                    next_state = S_FETCH; retire = 1'b1; wb_en = 1'b1; wb_data = cfu_rsp_data;
                end
            end
            default: begin end
        endcase
        if (trap) next_state = (mtvec == 32'd0) ? S_HALT : S_FETCH;
    end

    always @(posedge clk) begin
        if (rst) begin
            state    <= S_FETCH;
            pc       <= RESET_PC;
            instr    <= 32'd0;
            rs1_q    <= 32'd0;
            rs2_q    <= 32'd0;
            mcycle   <= 64'd0;
            minstret <= 64'd0;
            mtvec    <= 32'd0;
            mepc     <= 32'd0;
            mcause   <= 32'd0;
            mtval    <= 32'd0;
            mscratch <= 32'd0;
            ls_addr  <= 32'd0;
            div_q    <= 32'd0;
            div_r    <= 32'd0;
            div_d    <= 32'd0;
            div_cnt  <= 6'd0;
            div_negq <= 1'b0;
            div_negr <= 1'b0;
            div_rem  <= 1'b0;
        end else if (!halt_i) begin
            if (state != S_HALT) mcycle <= mcycle + 64'd1;
            if (retire) minstret <= minstret + 64'd1;
            state <= next_state;

            case (state)
                S_FETCH: if (mem_ready) begin
                    instr <= mem_rdata;
                    rs1_q <= rf_a;
                    rs2_q <= rf_b;
                end
                S_EXEC: begin
                    ls_addr <= ea;
                    if (is_div) begin
                        div_cnt  <= 6'd32;
                        div_rem  <= funct3[1];
                        div_q    <= div_a_abs;
                        div_r    <= 32'd0;
                        div_d    <= div_b_abs;
                        // RV32M: x/0 = -1 (all ones), x%0 = x; INT_MIN/-1 falls out naturally
                        div_negq <= (div_a_neg ^ div_b_neg) && rs2_q != 32'd0;
                        div_negr <= div_a_neg;
                    end
                end
                S_DIV: begin
                    div_cnt <= div_cnt - 6'd1;
                    div_q   <= div_q_next;
                    div_r   <= div_r_next;
                end
                default: begin end
            endcase

            if (retire || trap) pc <= trap ? mtvec : next_pc;
            if (wb_en && rd != 5'd0) rf[rd] <= wb_data;

            if (trap) begin
                mepc   <= pc;
                mcause <= trap_cause;
                mtval  <= trap_val;
            end else if (csr_write) begin
                case (csr_addr)
                    12'h305: mtvec    <= {csr_wdata[31:2], 2'b00};
                    12'h340: mscratch <= csr_wdata;
                    12'h341: mepc     <= {csr_wdata[31:2], 2'b00};
                    12'h342: mcause   <= csr_wdata;
                    12'h343: mtval    <= csr_wdata;
                    12'hB00: mcycle   <= {mcycle[63:32], csr_wdata};
                    12'hB80: mcycle   <= {csr_wdata, mcycle[31:0]};
                    12'hB02: minstret <= {minstret[63:32], csr_wdata};
                    12'hB82: minstret <= {csr_wdata, minstret[31:0]};
                    default: begin end
                endcase
            end
        end
    end

endmodule
