"""Answering: a question and its retrieved clauses → an :class:`~assistant.types.Answer`
whose every statement cites the clause that says it, or a plain refusal.

``questions`` (with ``whichdocs``) reads what a question asks and where; ``followup`` makes a
follow-up standalone; ``scoping`` keeps the clauses of the places and documents it names;
``terms`` weighs its words; ``sentences`` finds the sentences that state asked values;
``details`` answers what a question asks of a document itself, ``validity`` whether, from when
and until when it applies (and gives every answer's citations their status); ``comparison`` answers side by
side, ``mentions`` lists the documents that speak of a topic; ``composer`` is the offline
composer that joins them, ``llm`` the language-model composer, ``verify`` checks a model's
sentences against the clauses they cite; ``citations`` numbers the sources and ``refusal``
words the answer when there is none. ``measure_table`` lists the support measures read at ingest
(filtered, with their documents' status, as CSV or XLSX), ``eligibility`` groups them for a
company profile, ``measure_answers`` answers questions asking for them as a set.
"""
