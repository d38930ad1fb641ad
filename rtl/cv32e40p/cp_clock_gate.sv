// cv32e40p_clock_gate for Verilator benchmarks: the clock passes ungated.
//
// The package's bhv/cv32e40p_sim_clock_gate.sv (a latch and an AND) makes the core's whole
// clock a derived clock, which Verilator evaluates more slowly.  The core's sleep unit
// lowers en_i only while the controller is in WAIT_SLEEP/SLEEP (WFI) or fetch_enable is low
// (the package's own assertion in cv32e40p_sleep_unit.sv); the firmware never sleeps and
// obi_soc raises fetch_enable with reset, so the cycle counts are the same with either model
// (rtl/cv32e40p/README.md).  Never for synthesis.
module cv32e40p_clock_gate (
    input  logic clk_i,
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic en_i,
    input  logic scan_cg_en_i,
    /* verilator lint_on UNUSEDSIGNAL */
    output logic clk_o
);
    assign clk_o = clk_i;
endmodule
