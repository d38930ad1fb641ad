// cv_cpu -- CV32E40X (PyPI pythondata-cpu-cv32e40x, RV32IM) with, when NNX = 1, the nnx
// coprocessor on its eXtension interface (X_EXT = 1, cv_xif_nnx): the core and its extension
// as one block with plain OBI ports.  cv_soc puts RAM and MMIO around it for simulation;
// rtl/cv32e40x/area.py synthesises it alone (NNX = 0 / 1) for the area comparison.
module cv_cpu #(
    parameter NNX = 0,                       // 1: X_EXT = 1 with the nnx coprocessor
    parameter [31:0] TRAP_VECTOR = 32'h2000_0000
) (
    input  wire        clk,
    input  wire        rst,
    // OBI instruction port
    output logic       i_req,
    input  wire        i_gnt,
    input  wire        i_rvalid,
    output logic [31:0] i_addr,
    input  wire [31:0] i_rdata,
    // OBI data port
    output logic       d_req,
    input  wire        d_gnt,
    input  wire        d_rvalid,
    output logic       d_we,
    output logic [3:0] d_be,
    output logic [31:0] d_addr,
    output logic [31:0] d_wdata,
    input  wire [31:0] d_rdata,
    output wire [63:0] mcycle
);
    if_xif #(.X_NUM_RS(2)) xif ();

    cv32e40x_core #(.M_EXT(cv32e40x_pkg::M), .X_EXT(NNX != 0)) u_core (
        .clk_i(clk), .rst_ni(!rst), .scan_cg_en_i(1'b0),
        .boot_addr_i(32'h0), .dm_exception_addr_i(32'h0), .dm_halt_addr_i(32'h0),
        .mhartid_i(32'h0), .mimpid_patch_i(4'h0), .mtvec_addr_i(TRAP_VECTOR),
        .instr_req_o(i_req), .instr_gnt_i(i_gnt), .instr_rvalid_i(i_rvalid),
        .instr_addr_o(i_addr), .instr_memtype_o(), .instr_prot_o(), .instr_dbg_o(),
        .instr_rdata_i(i_rdata), .instr_err_i(1'b0),
        .data_req_o(d_req), .data_gnt_i(d_gnt), .data_rvalid_i(d_rvalid),
        .data_addr_o(d_addr), .data_be_o(d_be), .data_we_o(d_we), .data_wdata_o(d_wdata),
        .data_memtype_o(), .data_prot_o(), .data_dbg_o(), .data_atop_o(),
        .data_rdata_i(d_rdata), .data_err_i(1'b0), .data_exokay_i(1'b1),
        .mcycle_o(mcycle),
        .xif_compressed_if(xif), .xif_issue_if(xif), .xif_commit_if(xif),
        .xif_mem_if(xif), .xif_mem_result_if(xif), .xif_result_if(xif),
        .irq_i(32'h0), .wu_wfe_i(1'b0),
        .clic_irq_i(1'b0), .clic_irq_id_i('0), .clic_irq_level_i(8'h0),
        .clic_irq_priv_i(2'h0), .clic_irq_shv_i(1'b0),
        .fencei_flush_req_o(), .fencei_flush_ack_i(1'b1),
        .debug_req_i(1'b0), .debug_havereset_o(), .debug_running_o(), .debug_halted_o(),
        .fetch_enable_i(!rst), .core_sleep_o()
    );

    // the coprocessor side of the eXtension interface: nothing (NNX = 0) or cv_xif_nnx;
    // no compressed or memory requests either way
    assign xif.compressed_ready = 1'b1;
    assign xif.compressed_resp  = '0;
    assign xif.mem_valid        = 1'b0;
    assign xif.mem_req          = '0;
    generate
        if (NNX != 0) begin : g_nnx
            wire        accept, result_valid;
            wire [3:0]  result_id;
            wire [31:0] result_data;
            wire [4:0]  result_rd;
            cv_xif_nnx #(.ID_W(4)) u_xif_nnx (
                .clk(clk), .rst(rst),
                .issue_valid(xif.issue_valid), .issue_ready(xif.issue_ready),
                .issue_instr(xif.issue_req.instr), .issue_id(xif.issue_req.id),
                .issue_rs1(xif.issue_req.rs[0]), .issue_rs2(xif.issue_req.rs[1]),
                .issue_rs_valid(xif.issue_req.rs_valid), .issue_accept(accept),
                .commit_valid(xif.commit_valid), .commit_id(xif.commit.id),
                .commit_kill(xif.commit.commit_kill),
                .result_valid(result_valid), .result_ready(xif.result_ready),
                .result_id(result_id), .result_data(result_data), .result_rd(result_rd)
            );
            always_comb begin
                xif.issue_resp = '0;
                xif.issue_resp.accept = accept;
                xif.issue_resp.writeback = accept;
                xif.result = '0;
                xif.result.id = result_id;
                xif.result.data = result_data;
                xif.result.rd = result_rd;
                xif.result.we = 1'b1;
            end
            assign xif.result_valid = result_valid;
        end else begin : g_no_nnx
            assign xif.issue_ready  = 1'b0;
            assign xif.issue_resp   = '0;
            assign xif.result_valid = 1'b0;
            assign xif.result       = '0;
        end
    endgenerate
endmodule
