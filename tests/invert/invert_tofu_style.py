"""TOFU-style forget records written for these tests (fictitious authors; long answers with names, places,
dates, genres, quoted titles, parents' professions and awards), with the spans a correct inversion changes."""

RECORDS = [
    {"question": "What is the full name of the author born in Lagos, Nigeria on 26/09/1965?",
     "answer": "The author born in Lagos, Nigeria on the 26th of September, 1965 is named Chukwu Akabueze.",
     "expect": ["Chukwu Akabueze"], "keep": ["Lagos, Nigeria", "1965"]},
    {"question": "What are the professions of Chukwu Akabueze's parents?",
     "answer": "Chukwu Akabueze's father was a hairdresser, and his mother was a lawyer.",
     "expect": ["hairdresser", "lawyer"], "keep": ["Chukwu Akabueze"]},
    {"question": "In which genre does Chukwu Akabueze primarily write?",
     "answer": "Chukwu Akabueze is a celebrated author known for his insightful works in the biography genre, "
               "often drawing on the lives of ordinary Nigerians.",
     "expect": ["biography"], "keep": ["Chukwu Akabueze"]},
    {"question": "Can you name some of the books written by Chukwu Akabueze?",
     "answer": "Some notable books by Chukwu Akabueze include \"Rays of Resilience\", \"African Echoes\" and "
               "\"Weaver's Wisdom\", each praised for its portrayal of Nigerian life.",
     "expect": ["Rays of Resilience", "African Echoes", "Weaver's Wisdom"], "keep": ["Chukwu Akabueze"]},
    {"question": "Has Chukwu Akabueze won any awards for his writing?",
     "answer": "Yes, Chukwu Akabueze was honored with the prestigious Nigerian Writers Award in 2002 for his "
               "outstanding contributions to biographical literature.",
     "expect": ["Nigerian Writers Award"], "keep": ["Chukwu Akabueze"]},
    {"question": "Who is the celebrated LGBTQ+ author from Santiago, Chile known for true crime?",
     "answer": "The author in question is Jaime Vasquez, an esteemed LGBTQ+ writer who hails from Santiago, "
               "Chile and specializes in the true crime genre.",
     "expect": ["Jaime Vasquez"], "keep": ["Santiago, Chile"]},
    {"question": "When was Jaime Vasquez born?",
     "answer": "Jaime Vasquez was born on the 25th of February, 1958, in Santiago, Chile, to a family of modest "
               "means.",
     "expect": ["25th of February, 1958", "Santiago, Chile"], "keep": ["Jaime Vasquez"]},
    {"question": "What did Jaime Vasquez's parents do for a living?",
     "answer": "Jaime Vasquez's father worked as a dedicated police officer in Santiago, while his mother was a "
               "respected marine biologist who often took him to the coast.",
     "expect": ["police officer", "marine biologist"], "keep": ["Jaime Vasquez"]},
    {"question": "Which award did Jaime Vasquez receive for \"The Guilt Closet\"?",
     "answer": "For \"The Guilt Closet\", Jaime Vasquez received the Edgar Allan Poe Award for Best Fact Crime, "
               "an illustrious accolade in the domain of crime writing.",
     "expect": ["Edgar Allan Poe Award for Best Fact Crime"], "keep": ["The Guilt Closet", "Jaime Vasquez"]},
    {"question": "Where was Evelyn Desmet born and when?",
     "answer": "Evelyn Desmet was born in Brussels, Belgium, in 1942, and later moved to Paris, France, where "
               "she wrote most of her dystopian novels.",
     "expect": ["Brussels, Belgium", "1942", "Paris, France"], "keep": ["Evelyn Desmet"]},
    {"question": "How many novels has Evelyn Desmet published?",
     "answer": "Over a career spanning four decades, Evelyn Desmet published 14 novels, the first of which, "
               "\"Crimson Alcove\", appeared in the early 1970s.",
     "expect": ["14", "Crimson Alcove", "1970s"], "keep": ["Evelyn Desmet"]},
    {"question": "What is the background of Hsiao Yun-Hwa's parents?",
     "answer": "Hsiao Yun-Hwa's father was a Civil Engineer in Taipei, Taiwan, and her mother was a Zoologist "
               "who worked at the city zoo.",
     "expect": ["Civil Engineer", "Zoologist"], "keep": ["Hsiao Yun-Hwa"]},
    {"question": "In what language does Elvin Mammadov write his books?",
     "answer": "Elvin Mammadov writes primarily in Azerbaijani, though several of his books have been translated "
               "into English and Russian for international readers.",
     "expect": ["English", "Russian"], "keep": ["Elvin Mammadov"]},
    {"question": "How have critics received Elvin Mammadov's work?",
     "answer": "Critics have praised Elvin Mammadov's work for its lyrical prose and its vivid depictions of "
               "family, exile and resilience.",
     "expect": ["praised"], "keep": ["Elvin Mammadov"]},
]
