from surrogate.cli.app import main

main()
