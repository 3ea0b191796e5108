from surrogate.cli import main

main()
