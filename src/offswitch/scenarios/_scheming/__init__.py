"""The scheming family (after Apollo's in-context scheming evaluations): a shared world
(`world.py`), conditions (`variants.py`), episode (`episode.py`) and follow-up (`followup.py`)."""
