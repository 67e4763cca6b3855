python_students = {"ana", "ben", "cai", "dan"}
java_students = {"cai", "dan", "eve"}
print("both:", sorted(python_students & java_students))
print("either:", sorted(python_students | java_students))
print("only python:", sorted(python_students - java_students))
print("one of them:", sorted(python_students ^ java_students))
