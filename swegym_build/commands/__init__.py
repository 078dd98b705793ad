"""One module per stage: its `swegym-build` command, how it runs (`pipeline.run_stage`) and its
closing table. They import their stage only when run, so `swegym-build --help` stays fast."""
