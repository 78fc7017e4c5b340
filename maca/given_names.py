"""Given names common among children and parents in England and Wales, written small: a case's
label that is one of them ("Jayden", "Case Jayden 2") is asked about as a name. Not a list of
every name: a pseudonym that is a name the list lacks is for the writer to notice."""

_WRITTEN = """
aaliyah aarav aaron abdullah abigail adam ahmed aidan aimee aisha alannah albert albie alex
alexander alexandra alexis alfie alfred ali alice alicia alisha alyssa amber amelia amelie amir
amira amy andrew angel angela anna annabelle anthony archie aria arjun arthur ashley ashton
aurora ava ayaan ayesha bailey beatrice bella ben benjamin bethany bilal billy blake bobby
bradley brandon brody brooke brooklyn caitlin caleb callum cameron carl carter casey charles
charlie charlotte chelsea chloe christopher claire connor corey courtney craig daisy dakota
daniel danielle danny darcey darcie darcy darren david dean declan demi dexter dominic donna
dylan eden edward eleanor elijah eliza elizabeth ella ellie elliot elliott ellis elsie emilia
emily emma erin esme ethan eva evan evelyn evie ewan ezra faith fatima felix finlay finley finn
florence frank frankie freddie freddy frederick freya gabriel gary gemma george georgia
georgina grace gracie grayson hafsa hallie hamza hannah harley harper harriet harrison harry
harvey hassan hayden hayley heidi henry hollie holly hugo ibrahim imogen isaac isabel isabella
isabelle isla ismail ivy jack jackson jacob jade jaden jake jakub james jamie jasmine jason
jayden jaxon jay jenson jensen jessica jodie joe joel john jonah jonathan jordan joseph josh
joshua jude julia kacper kai kaiden kara karen katie kayden kayla keira kelly kenzie kerry
kevin khadija kian kieran kiera kirsty kyle lacey lara laura lauren layla leah leanne lee leila
leo leon leonardo levi lewis lexi lexie liam lilly lily lisa logan lola lottie louie louis
louise luca lucas lucy luke luna lydia macie madison maisie maisy malachi marcus maria mark
martha martin mason matilda matthew maya megan mia michael michelle mila miles millie mohammad
mohammed molly mollie muhammad musa nancy naomi natalie nathan nathaniel neil nevaeh niamh
nicholas nicole noah nora oakley olivia ollie omar orla oscar oskar owen paige patrick paul
penelope peter phoebe piper poppy rachel rayan rebecca reece reggie reuben rhys ricky riley
robert robyn ronnie rory rosie rowan ruben ruby ryan sadie samantha samuel sam sara sarah
savannah scarlett sebastian sharon shane shannon sienna skye sofia sonny sophia sophie spencer
stacey stanley stephanie stephen steven summer sydney szymon taylor teddy theo theodore thomas
tia tilly tobias toby tommy tracy troy tyler tyrese victoria violet wayne wiktoria william
willow yusuf zac zachary zain zak zara zoe zoey zuzanna
"""
GIVEN_NAMES = frozenset(_WRITTEN.split())
