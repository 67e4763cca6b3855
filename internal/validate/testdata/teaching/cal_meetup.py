import calendar
import datetime


def meetup(year, month, weekday, which):
    days = [d for d in range(1, calendar.monthrange(year, month)[1] + 1)
            if calendar.weekday(year, month, d) == weekday]
    index = {"first": 0, "second": 1, "third": 2, "fourth": 3, "last": -1}[which]
    return datetime.date(year, month, days[index])


print(meetup(2024, 5, calendar.TUESDAY, "second"))
print(meetup(2024, 12, calendar.FRIDAY, "last"))
