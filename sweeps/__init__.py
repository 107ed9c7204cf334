"""The sweep machinery, apart from the figures: run configs and their identity (``config``, ``versions``),
grids of runs (``grid``), the run store (``store``), running a sweep (``runner``) and launching it on local
processes or Slurm (``launch``); ``spec`` holds the types an experiment module declares itself with.
Nothing here imports ``experiments/``: a figure module uses this package, never the other way round.
"""
