class Student:
    count = 0

    def __init__(self, name):
        self.name = name
        self.grades = []
        Student.count += 1

    def add_grade(self, g):
        self.grades.append(g)

    def average(self):
        return sum(self.grades) / len(self.grades) if self.grades else 0.0


class Course:
    def __init__(self, title):
        self.title = title
        self.students = []

    def enroll(self, s):
        self.students.append(s)

    def top(self):
        return max(self.students, key=Student.average)


c = Course("Python 101")
for name, grades in [("ana", [90, 80]), ("ben", [70, 95, 99]), ("cy", [60])]:
    s = Student(name)
    for g in grades:
        s.add_grade(g)
    c.enroll(s)
print(c.top().name, Student.count)
