from vidscribe.cli import main

main()
