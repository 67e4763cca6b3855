import calendar

print(calendar.month(2024, 2))
print("2024 leap:", calendar.isleap(2024))
print("leap days 2000-2100:", calendar.leapdays(2000, 2100))
print(calendar.day_name[calendar.weekday(2024, 7, 4)])
