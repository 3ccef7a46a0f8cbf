"""Question answering over Chinese government policy documents, every statement cited.

The package reads as the pipeline, one folder a stage; imports only run down this list:

- front ends: ``cli.py``, ``api/`` (HTTP and the web page in ``web/``), ``slack/``, and
  ``evaluation.py`` (the harness that scores answers against gold);
- ``service.py``: the one object every front end calls (``ingest``, ``ask``, ``documents``);
- ``answering/``: a question and its retrieved clauses → a cited answer or a refusal;
- ``index/``: clauses → embeddings, the Chroma store, the index view, hybrid retrieval;
- ``reading/``: a file → a :class:`~assistant.types.PolicyDocument` → clauses;
- ``language/``: words, places, and the one lexicon of the genre's vocabulary;
- ``types.py`` and ``settings.py``: the values passed between stages and the settings tree.
"""
