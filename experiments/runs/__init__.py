"""What one run of each experiment does (load its data, train, probe), apart from the declarations in
``experiments/<name>.py``: these modules import torch, and are loaded only when a run starts."""
