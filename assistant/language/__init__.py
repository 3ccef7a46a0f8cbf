"""Language: what every stage knows about Chinese policy text, below all of them.

``lexicon`` holds the genre's vocabulary once (document kinds, draft stages, conjunctions,
interrogatives, endings of unit names, how names are quoted); ``text`` the matching form of a
text and its sentences; ``segment`` jieba and the index terms of a text; ``places`` place
names, stems and pinyin aliases; ``crosslingual`` the Chinese terms of an English question.
Takes strings, gives strings and words; imports nothing of the project but the types.
"""
