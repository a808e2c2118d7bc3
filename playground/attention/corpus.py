"""The built-in corpus for the character language model: a short original passage in plain English.

Written for this project (no copyright of others applies). Kept modest so a tiny model can learn its
spelling and common words within a minute on a CPU; plain lower-case ASCII with a little punctuation so the
character vocabulary stays small (every letter a-z appears, so typed prompts rarely hit unknowns).
"""

CORPUS = """\
the lighthouse keeper rose before the sun, as she had done for thirty years. she climbed the
narrow stairs, counted the steps, and wiped the salt from the great glass lamp. the sea was calm
that morning, and the gulls sat on the rocks like small white stones.

in the village below, the baker opened his door and the smell of warm bread ran down the street.
a lazy fox slept by the jetty, and six jars of jam stood in the window next to the bread.
the children came out one by one. they carried books under their arms and talked about the storm
that had passed in the night. one of them had found a green bottle on the beach, and inside the
bottle was a letter that nobody could read.

the keeper came down the hill at noon. she looked at the letter for a long time. the words were
old and the ink was pale, but she knew the hand. it was her father's hand. he had been a sailor,
and he had written to her mother from a ship that never came home. the children were quiet. the
baker put down his bread. the sea went on, as the sea does, and the light turned above them all.

that evening she read the letter aloud in the small room at the top of the tower. it said that
the ship was strong, that the crew were kind, and that the stars over the southern water were
brighter than any lamp. it said that he would come back in the spring. she folded the letter and
put it in the drawer with her father's compass and her mother's ring. then she lit the lamp, and
the beam went out across the dark water, far and steady, to every ship that was still at sea.

in the spring the children came up the hill to see the keeper. they brought bread from the baker
and flowers from the fields. they asked her to tell the story again, and she did. she told them
about the ship and the stars, about the storm and the bottle, about the long years of climbing
the stairs. when she had finished, the youngest child asked, is the light for your father?
the keeper smiled. the light is for everyone, she said, for all the ships that are still coming
home. and so every night the lamp was lit, and every morning the glass was clean, and the sea
went on, and the light turned, and the village slept in its warm and steady glow.

years later, when the keeper was too old to climb the stairs, the youngest child took the key.
she rose before the sun, she counted the steps, and she wiped the salt from the glass. on calm
mornings she could hear the baker singing and the gulls calling over the rocks. and on the night
of every storm she stood at the window with the old compass in her hand and watched the beam go
out across the water, far and steady, to every ship that was still at sea.
"""
