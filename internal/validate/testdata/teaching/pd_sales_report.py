import pandas as pd

sales = pd.DataFrame({
    "month": ["Jan", "Jan", "Feb", "Feb", "Mar"],
    "product": ["tea", "coffee", "tea", "coffee", "tea"],
    "units": [10, 4, 12, 7, 9],
    "price": [2.5, 3.0, 2.5, 3.0, 2.5],
})
sales["revenue"] = sales["units"] * sales["price"]
print(sales.pivot_table(index="month", columns="product", values="revenue", aggfunc="sum", sort=False))
print(sales["revenue"].sum())
