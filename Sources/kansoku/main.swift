print("kansoku")
