"""hilbench: hardware-in-the-loop benchmarking of compressed neural networks."""
