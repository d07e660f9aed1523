"""Names for generated people: varied enough that boards and searches look like a real
college's, and mixed in origin as its students and staff would be."""

from __future__ import annotations

import unicodedata

FIRST = (
    "Aaliyah", "Aarav", "Abigail", "Adebayo", "Aditi", "Ahmed", "Aiko", "Alejandro", "Alexei",
    "Amara", "Amelia", "Ana", "Andrés", "Anh", "Aryan", "Ava", "Beatriz", "Benjamin", "Bilal",
    "Camila", "Carlos", "Charlotte", "Chen", "Chiara", "Chloé", "Daniel", "Daniela", "David",
    "Deepika", "Diego", "Dmitri", "Elena", "Elias", "Elif", "Emeka", "Emily", "Emma", "Ethan",
    "Fatima", "Felipe", "Finn", "Gabriel", "Grace", "Hamza", "Hannah", "Hiroshi", "Hugo",
    "Ibrahim", "Imani", "Isabella", "Ivan", "Jack", "Jamal", "Jasmine", "Javier", "Jayden",
    "Ji-woo", "Joaquín", "Jonah", "Jordan", "José", "Julia", "Kai", "Kavya", "Keanu", "Kenji",
    "Kiara", "Kofi", "Layla", "Leah", "Leila", "Liam", "Lucas", "Lucía", "Luis", "Maya", "Mei",
    "Mateo", "Mia", "Miguel", "Mohammed", "Nadia", "Naomi", "Nia", "Nikhil", "Noah", "Nora",
    "Olivia", "Omar", "Oscar", "Owen", "Priya", "Rafael", "Rahul", "Rania", "Ravi", "Rosa", "Ryan",
    "Saanvi", "Samuel", "Santiago", "Sara", "Sebastián", "Sienna", "Sofia", "Soo-ah", "Tariq",
    "Thandiwe", "Thomas", "Valentina", "Victor", "Wei", "William", "Ximena", "Yara", "Yasmin",
    "Yuki", "Zainab", "Zara", "Zoë",
)

LAST = (
    "Abbott", "Adeyemi", "Ahmed", "Alvarez", "Anderson", "Bailey", "Banerjee", "Becker", "Bennett",
    "Brooks", "Castillo", "Chen", "Choi", "Clarke", "Cohen", "Collins", "Cruz", "Das", "Delgado",
    "Diaz", "Dubois", "Edwards", "Evans", "Fernández", "Fischer", "Flores", "Foster", "García",
    "Gomez", "Gonzalez", "Gray", "Green", "Gupta", "Hall", "Hamid", "Harris", "Hassan",
    "Hernández", "Hughes", "Ibrahim", "Ito", "Jackson", "Jensen", "Johnson", "Jones", "Kaur",
    "Khan", "Kim", "Kowalski", "Kumar", "Larsen", "Lee", "Lewis", "Li", "Liu", "Lopez", "Martin",
    "Martínez", "Mehta", "Mendoza", "Miller", "Mitchell", "Moore", "Morales", "Murphy", "Nakamura",
    "Nguyen", "Novak", "Nwosu", "Okafor", "Okeke", "Olsen", "Ortiz", "Park", "Patel", "Perez",
    "Phillips", "Price", "Ramirez", "Reddy", "Reyes", "Rivera", "Roberts", "Robinson", "Rodriguez",
    "Rossi", "Russo", "Sanchez", "Santos", "Sato", "Schmidt", "Scott", "Shah", "Silva", "Singh",
    "Smith", "Sullivan", "Suzuki", "Tanaka", "Taylor", "Thompson", "Torres", "Tran", "Turner",
    "Vargas", "Walker", "Wang", "Watson", "White", "Williams", "Wilson", "Wong", "Wright",
    "Yamamoto", "Yang", "Young", "Zhang",
)


def ascii_handle(text: str) -> str:
    """An email-safe form of a name: accents dropped, letters and digits only."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())
