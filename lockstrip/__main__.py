from lockstrip._cli import main

main()
