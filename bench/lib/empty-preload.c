/* The recorders benchmark's floor for LD_PRELOAD (bench/recorders.mjs): a shared library with
 * nothing in it, linked as the recorder is (see there). Every child loads it as it would
 * load the recorder (open, mmap, relocations), so what a spawn costs with it is the price of the
 * mechanism, before any recorder code runs. */
int pi_bench_empty_preload;
