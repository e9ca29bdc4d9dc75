from vetcards.cli import main

main()
