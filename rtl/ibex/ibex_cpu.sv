// ibex_cpu -- Ibex (PyPI pythondata-cpu-ibex) as one block with plain OBI-like ports:
// ibex_core (RV32IMC; RV32M = RV32MFast, RV32B = RV32BNone, no PMP, no instruction cache,
// no writeback stage, no security features) and its flip-flop register file, wired as
// ibex_top wires them, without ibex_top's clock gate, lockstep and scrambling logic.
// obi_soc (rtl/soc/) puts RAM and MMIO around it; rtl/cores_area.py synthesises it alone.
module ibex_cpu (
    input  wire        clk,
    input  wire        rst,
    input  wire [31:0] boot_addr,         // reset pc = boot_addr + 0x80, mtvec = boot_addr
    // instruction port
    output logic       i_req,
    input  wire        i_gnt,
    input  wire        i_rvalid,
    output logic [31:0] i_addr,
    input  wire [31:0] i_rdata,
    // data port
    output logic       d_req,
    input  wire        d_gnt,
    input  wire        d_rvalid,
    output logic       d_we,
    output logic [3:0] d_be,
    output logic [31:0] d_addr,
    output logic [31:0] d_wdata,
    input  wire [31:0] d_rdata
);
    logic        dummy_instr_id, dummy_instr_wb, rf_we_wb;
    logic [4:0]  rf_raddr_a, rf_raddr_b, rf_waddr_wb;
    logic [31:0] rf_wdata_wb, rf_rdata_a, rf_rdata_b;

    ibex_core #(
        .PMPEnable(1'b0), .RV32E(1'b0), .RV32M(ibex_pkg::RV32MFast),
        .RV32B(ibex_pkg::RV32BNone), .BranchTargetALU(1'b0), .WritebackStage(1'b0),
        .ICache(1'b0), .BranchPredictor(1'b0), .DbgTriggerEn(1'b0), .SecureIbex(1'b0),
        .DummyInstructions(1'b0), .RegFileECC(1'b0), .MemECC(1'b0)
    ) u_ibex_core (         // ibex_controller.sv prints through u_ibex_core.hart_id_i
        .clk_i(clk), .rst_ni(!rst), .hart_id_i(32'h0), .boot_addr_i(boot_addr),
        .instr_req_o(i_req), .instr_gnt_i(i_gnt), .instr_rvalid_i(i_rvalid),
        .instr_addr_o(i_addr), .instr_rdata_i(i_rdata), .instr_err_i(1'b0),
        .data_req_o(d_req), .data_gnt_i(d_gnt), .data_rvalid_i(d_rvalid), .data_we_o(d_we),
        .data_be_o(d_be), .data_addr_o(d_addr), .data_wdata_o(d_wdata),
        .data_rdata_i(d_rdata), .data_err_i(1'b0),
        .dummy_instr_id_o(dummy_instr_id), .dummy_instr_wb_o(dummy_instr_wb),
        .rf_raddr_a_o(rf_raddr_a), .rf_raddr_b_o(rf_raddr_b), .rf_waddr_wb_o(rf_waddr_wb),
        .rf_we_wb_o(rf_we_wb), .rf_wdata_wb_ecc_o(rf_wdata_wb),
        .rf_rdata_a_ecc_i(rf_rdata_a), .rf_rdata_b_ecc_i(rf_rdata_b),
        .ic_tag_req_o(), .ic_tag_write_o(), .ic_tag_addr_o(), .ic_tag_wdata_o(),
        .ic_tag_rdata_i('{default: '0}), .ic_data_req_o(), .ic_data_write_o(),
        .ic_data_addr_o(), .ic_data_wdata_o(), .ic_data_rdata_i('{default: '0}),
        .ic_scr_key_valid_i(1'b0), .ic_scr_key_req_o(),
        .irq_software_i(1'b0), .irq_timer_i(1'b0), .irq_external_i(1'b0),
        .irq_fast_i(15'h0), .irq_nm_i(1'b0), .irq_pending_o(),
        .debug_req_i(1'b0), .crash_dump_o(), .double_fault_seen_o(),
        .fetch_enable_i(rst ? ibex_pkg::IbexMuBiOff : ibex_pkg::IbexMuBiOn),
        .alert_minor_o(), .alert_major_internal_o(), .alert_major_bus_o(), .core_busy_o()
    );

    ibex_register_file_ff #(.RV32E(1'b0), .DataWidth(32), .DummyInstructions(1'b0)) u_rf (
        .clk_i(clk), .rst_ni(!rst), .test_en_i(1'b0),
        .dummy_instr_id_i(dummy_instr_id), .dummy_instr_wb_i(dummy_instr_wb),
        .raddr_a_i(rf_raddr_a), .rdata_a_o(rf_rdata_a),
        .raddr_b_i(rf_raddr_b), .rdata_b_o(rf_rdata_b),
        .waddr_a_i(rf_waddr_wb), .wdata_a_i(rf_wdata_wb), .we_a_i(rf_we_wb), .err_o()
    );
endmodule
