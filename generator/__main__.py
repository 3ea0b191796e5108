from generator.cli.app import main

main()
