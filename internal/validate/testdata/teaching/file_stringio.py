import csv
import io

buffer = io.StringIO("city,temp\nOslo,3\nLima,19\nCairo,28\n")
rows = list(csv.DictReader(buffer))
hottest = max(rows, key=lambda r: int(r["temp"]))
print(hottest["city"])

out = io.StringIO()
print("written to memory", file=out)
print(out.getvalue().strip())
