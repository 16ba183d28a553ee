"""Simulation-based training: multi-agency exercises on the real workflow.

A training mechanism (`NRM_TRAINING=1`) is this service on a database of its
own, marked as a training database when it is created (`guard.py`). A
trainer starts an exercise from a scenario pack (`packs.py`, YAML files
checked against `pack.schema.json`): the agencies' organisations and trainee
accounts, the personas (synthetic people and their scripted answers), and
the timed injects (`injects.py`). The trainer runs the exercise clock
(`clock.py`), which the workflow reads through `core.clock`; trainees use
the ordinary pages. The debrief (`debrief.py`) sets what each agency did
against what the scenario expected.

Nothing imports this package except `config`.
"""
