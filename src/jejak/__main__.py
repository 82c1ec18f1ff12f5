from jejak.cli import main

main()
