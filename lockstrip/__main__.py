from lockstrip._main import main

main()
