"""Reading: a file as published → a cleaned :class:`~assistant.types.PolicyDocument` with its
metadata → clauses with their section paths and responsibility notes.

Takes bytes of txt, md, html, pdf or docx (``parsing.parse_file``: encodings in ``charsets``,
PDF glyphs in ``glyphs``, saved web pages in ``webpages``, Markdown in ``markdown``, tables in
``tables``); reads title, issuer, 文号, date and status (``metadata``) and when the document
applies (``validity``: issued, in force from and until, drafts, what it repeals); cuts the text into one
clause per numbered unit (``chunking`` over the markers of ``numbering``) with the units a note
makes responsible (``responsibility``), flagging lines that address an AI system
(``injection``); reads the support measures each clause grants (``measures``, with
``measure_fields``). Gives :class:`~assistant.types.Clause` objects; knows nothing of the index.
"""
