from datetime import date, datetime, timedelta

birthday = date(1990, 7, 14)
today = date(2024, 3, 1)
age = today.year - birthday.year - ((today.month, today.day) < (birthday.month, birthday.day))
print("age:", age)
deadline = datetime(2024, 3, 1, 9, 30) + timedelta(days=10, hours=5)
print(deadline.strftime("%A %d %B %Y, %H:%M"))
print((date(2024, 12, 25) - today).days, "days to Christmas")
