from oculi.cli.main import main

main()
