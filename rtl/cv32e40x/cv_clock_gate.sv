// cv32e40x_clock_gate for Verilator benchmarks: the clock passes ungated.
//
// The package's bhv/cv32e40x_sim_clock_gate.sv (a latch and an AND) makes the core's whole
// clock a derived clock, which Verilator evaluates slowly.  The core gates its clock only
// while it sleeps (WFI, or fetch_enable low); the firmware never sleeps and cv_soc raises
// fetch_enable with reset, so en_i is 1 whenever it matters and the cycle counts are the
// same with either model (rtl/cv32e40x/README.md has the comparison).  Never for synthesis.
module cv32e40x_clock_gate #(
    parameter LIB = 0
) (
    input  logic clk_i,
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic en_i,
    input  logic scan_cg_en_i,
    /* verilator lint_on UNUSEDSIGNAL */
    output logic clk_o
);
    assign clk_o = clk_i;
endmodule
