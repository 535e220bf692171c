"""English dates for a Dutch business: day before month, a 24-hour clock (Django's "en" is
American).

Numbers keep Django's English separators ("7,482.31"); Dutch keeps all of Django's "nl" formats
("1-12-2026 11:29", "7.482,31").
"""

DATE_FORMAT = "j F Y"  # 1 December 2026
SHORT_DATE_FORMAT = "j M Y"  # 1 Dec 2026
TIME_FORMAT = "H:i"  # 11:29
DATETIME_FORMAT = "j F Y, H:i"  # 1 December 2026, 11:29
SHORT_DATETIME_FORMAT = "j M Y, H:i"  # 1 Dec 2026, 11:29
FIRST_DAY_OF_WEEK = 1  # Monday
