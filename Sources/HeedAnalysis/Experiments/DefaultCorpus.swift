// The default corpus of `heed experiment`: 349 English sentences (a few lines hold two short
// sentences), 2 to 38 words, most with commas and every one with a period. Written for the
// Heed project (original text, not taken from any other source), so it carries no terms
// beyond Heed's own. One sentence per line, as `--corpus FILE` expects.

/// The built-in corpus of the paper-reproduction experiments (see docs/experiments.md).
public enum DefaultCorpus {
    /// One sentence per line.
    public static let text = #"""
The kettle clicked off, and the kitchen filled with steam.
She read the letter twice before she put it back in the drawer.
Rain fell all night.
By morning, the river had risen above the lowest step of the old stone bridge.
Our neighbour keeps bees, and every summer he leaves a jar of honey on our doorstep.
The train was late again, so we walked to the next station.
He planted tomatoes, beans, and a row of sunflowers along the fence.
Nobody noticed that the clock in the hall had stopped at twenty past four.
The museum opens at ten, but the garden behind it is free to visit from dawn.
Cats sleep for most of the day.
When the power went out, we lit candles and played cards until midnight.
The recipe calls for two eggs, a cup of flour, and a pinch of salt.
A small boat drifted past the harbour wall, its sail hanging loose in the still air.
I forgot my umbrella.
The committee met on Tuesday, discussed the budget for three hours, and decided nothing.
Light travels faster than sound, which is why we see lightning before we hear thunder.
The children built a fort out of blankets, chairs, and cardboard boxes.
After the storm, the beach was covered with seaweed and broken shells.
My grandmother wrote her shopping lists on the backs of old envelopes.
The library will be closed on Monday for repairs.
He opened the window, leaned out, and called the dog back inside.
Water boils at a lower temperature on a high mountain, so cooking pasta takes longer there.
The bakery on the corner sells bread until noon, and then it closes for the day.
She tuned the guitar, played a few chords, and began to sing.
The map was old, its edges torn, and several of the roads on it no longer existed.
Snow covered the fields.
Every autumn, the geese fly south over our village in long, noisy lines.
The doctor asked him to breathe slowly, then listened to his chest for a long time.
If you press the red button, the machine will stop at once.
Our team lost the first game, won the second, and drew the third.
The old lighthouse has not been used for fifty years, but it still stands on the cliff.
He keeps his tools in a wooden box under the stairs.
A spider had spun its web across the doorway during the night.
The meeting ended early, so she went for a walk in the park.
Most plants need sunlight, water, and air to grow.
The bus driver waited while an elderly man climbed slowly up the steps.
They painted the fence white, but the rain washed half of the paint away.
The soup was too salty, so he added some water and a potato.
In the evening, the streets were quiet, and only a few windows were lit.
The printer jammed.
She wrapped the glasses in newspaper before she packed them into the box.
A good map, a full water bottle, and comfortable shoes are all you need for this walk.
The farmer checked the sheep, counted the lambs, and closed the gate behind him.
Ice floats because it is less dense than liquid water.
The concert was cancelled at the last minute, and the audience went home disappointed.
He spent the whole weekend fixing the roof of the shed.
The baby finally fell asleep.
Along the coast, small villages cling to the steep hills above the sea.
The teacher wrote the date on the board and asked the class to open their books.
When we arrived at the hotel, our room was not ready, so we left our bags at the desk.
The wind blew the leaves across the yard and into a pile against the wall.
Please leave your shoes by the door.
The engine coughed, sputtered, and then started with a loud roar.
She has lived in the same house for forty years, and she knows every creak of its floors.
Bread, cheese, and apples made a simple but satisfying lunch.
The river winds through the valley, past farms, mills, and small stone churches.
He could not remember where he had parked the car.
A thick fog rolled in from the sea, and the ships sounded their horns.
The students argued about the answer, but none of them could prove it.
On clear nights, you can see thousands of stars from the top of the hill.
The shop sells maps, compasses, and other equipment for hikers.
She laughed.
The old bridge was closed to traffic after engineers found cracks in its supports.
We waited for an hour, but the ferry never came.
The cat knocked a glass off the table, looked at it, and walked away.
Trees lose their leaves in autumn to save water during the cold months.
My brother likes to cook, but he never cleans the kitchen afterwards.
The market is busiest on Saturday mornings, when farmers bring fresh vegetables from the hills.
He signed the form, dated it, and handed it back to the clerk.
A lamp burned in the window of the cottage long after midnight.
The path climbs steeply through the forest and then follows a ridge to the summit.
It was the coldest winter anyone could remember.
The orchestra tuned their instruments while the hall slowly filled with people.
Our flight was delayed by fog, so we spent the afternoon in the airport cafe.
She kept a diary every day from the age of twelve until she was eighty.
The dog barked at the postman, as it did every morning.
To make tea, warm the pot, add the leaves, and pour in boiling water.
The island can only be reached by boat, and the crossing takes about two hours.
He looked at the sky, shook his head, and went back inside for his coat.
Old photographs, letters, and receipts filled the attic from floor to ceiling.
The volcano has been quiet for centuries, but scientists still watch it closely.
Please close the gate.
The garden was overgrown, yet a few roses still bloomed among the weeds.
We drove north for six hours, stopping only once for fuel and coffee.
The new bridge is longer, wider, and much safer than the old one.
Her voice was calm, but her hands were shaking.
The town hall clock strikes every hour, day and night.
A fox crossed the road in front of us and disappeared into the hedge.
The lecture covered the history of printing, from wooden blocks to modern presses.
I have never seen so many people on one beach.
The heavy rain flooded the cellar, ruined the carpets, and soaked the boxes of books.
The pilot announced that we would land in twenty minutes.
Many birds build their nests in early spring, when insects become plentiful.
He whistled a tune as he walked down the lane.
The restaurant was full, so we ate sandwiches on a bench by the river.
Dust covered the piano, which no one had played in years.
Her first novel was rejected by six publishers before it was finally printed.
The children ran across the field, shouting and laughing, while their parents watched from the gate.
The road was icy, and several cars had slid into the ditch.
Sound cannot travel through empty space, because there is nothing to carry the vibrations.
The baker rises at four every morning to light the ovens.
She found an old coin in the garden, cleaned it, and showed it to her father.
Our house is at the end of a long, narrow lane.
The game was stopped for twenty minutes because of heavy rain.
A single candle lit the small room.
The mountains were hidden behind low grey clouds for most of the week.
He borrowed a ladder from his neighbour and climbed up to clear the gutters.
The team worked through the night to finish the report on time.
Apples, pears, and plums grow well in this part of the country.
The ship left the harbour at dawn, loaded with timber and grain.
It is easy to get lost in the narrow streets of the old town.
The fire crackled, and the dog stretched out on the rug in front of it.
Our teacher told us that the moon has no light of its own, and that it only reflects the light of the sun.
Nobody answered the phone.
The path along the cliffs is beautiful, but it can be dangerous in strong winds.
She carefully folded the map and put it in her pocket.
At the end of the day, the workers packed their tools and went home.
The price of bread has risen twice this year.
A heron stood motionless in the shallow water, waiting for a fish.
He tried the door, found it locked, and knocked loudly.
The first snow of the year fell quietly during the night.
In the old days, letters took weeks to cross the ocean.
The nurse checked his temperature, wrote it on the chart, and smiled.
The museum holds tools, coins, and pottery found in the fields around the village.
I will call you when I arrive.
The wind changed direction in the afternoon, and the sailors had to turn back.
The grass was wet with dew when we set out early in the morning.
She bought a second-hand bicycle, painted it blue, and rode it to work every day.
The mayor opened the new school with a short speech and a ribbon.
Clouds are made of tiny drops of water or crystals of ice.
We heard footsteps in the hall, but when we looked, nobody was there.
The station was crowded with people going home for the holidays.
He kept bees, grew vegetables, and made his own cider.
A strong current runs between the two islands, so swimmers should be careful.
The lights in the theatre dimmed, and the curtain slowly rose.
Her garden is small, but it is full of herbs, flowers, and fruit trees.
The letter arrived three weeks after it was posted.
We planted an oak tree in the garden the year our daughter was born.
The castle was built on a hill so that its guards could see enemies approaching from far away.
The boy dropped his ice cream and started to cry.
The doctor said that rest, fluids, and patience would cure the cold.
A long queue formed outside the cinema before the doors opened.
The hikers reached the hut just before dark, tired, wet, and hungry.
My phone battery died halfway through the call.
The river freezes in January, and people skate on it until March.
He read the instructions carefully, but the machine still would not start.
The bells of the church rang out across the valley.
She wrote her name at the top of the page and began the exam.
Long ago, this valley was covered by a glacier, which carved its steep sides.
The old man sat on the bench, feeding the pigeons with crumbs from his pocket.
We ran out of milk, so I went to the shop.
The waves crashed against the rocks, throwing spray high into the air.
At the market, she bought fish, lemons, and a bunch of fresh parsley.
The match ended in a draw.
During the war, the castle served as a hospital for wounded soldiers.
The kitchen smelled of cinnamon, apples, and warm butter.
If it rains tomorrow, the picnic will be moved indoors.
He fell asleep on the train and missed his stop.
The wooden floor creaked under our feet as we crossed the empty room.
The scientists collected samples of soil, water, and air from the site.
The sun set behind the hills, and the sky turned orange, pink, and then deep blue.
The shop assistant wrapped the present in bright paper and tied it with a ribbon.
Most of the village was destroyed by fire in the eighteenth century, but the church survived.
The radio played old songs all afternoon.
She counted the money twice, then locked it in the safe.
Tall grass grew between the stones of the abandoned railway line.
My uncle repairs clocks, watches, and other small machines in his workshop.
The horse stopped at the edge of the stream and refused to cross.
Nobody knows who built the stone circle, or why.
The streets were decorated with flags and flowers for the festival.
He wrote down the number, but later he could not read his own handwriting.
On hot days, the cows stand in the shade of the trees by the river.
The storm knocked down power lines, blocked roads, and closed the schools.
We stayed up late, talking about everything and nothing.
The bridge opens twice a day to let tall ships pass through.
Her cough kept her awake most of the night.
The old road, which once carried carts to the market, is now a quiet footpath.
The baby laughed at the dog.
The students planted trees along the edge of the playground.
A strong smell of coffee drifted from the cafe across the street.
The climbers set out before sunrise, roped together, and reached the summit at noon.
He apologised for being late, took off his coat, and sat down.
The lake is deep, cold, and very clear.
In spring, the meadows are full of wild flowers and bees.
She sent a postcard from every town she visited.
The power failed during the storm, and the whole street went dark.
A cold wind blew from the north for three days.
The village shop sells everything from nails and string to bread and newspapers.
He painted the walls of his study a pale shade of green.
The fishermen mended their nets on the quay while the gulls circled overhead.
We could hear the sea from our bedroom window.
The lawyer read the will aloud, slowly and clearly, to the silent family.
Honey never spoils if it is kept in a sealed jar.
The car would not start, so we called a neighbour for help.
The forest was dark, quiet, and smelled of pine.
She closed her eyes and listened to the rain on the roof.
The town grew quickly after the railway arrived, and new houses spread along the valley.
The kettle is on.
Our guide pointed out the old mill, the church, and the ruins of a Roman wall.
He saved every penny for a year to buy a new bicycle.
The children collected shells, stones, and pieces of driftwood on the beach.
The old oak fell during the storm, blocking the road for two days.
The coffee was strong, black, and bitter.
My sister moved to the city last spring, but she visits us almost every weekend.
A small crowd gathered to watch the street musician.
He stood at the window, watching the snow fall on the empty street.
The paint was still wet, so we could not sit on the bench.
The farmer grows wheat in the lower fields and keeps sheep on the hills.
She found the missing key in the pocket of her winter coat.
The hospital is on the far side of the river, near the old mill.
When the bell rang, the pupils packed their bags and hurried outside.
The wind was so strong that we could barely stand.
Cheese, olives, and bread were laid out on the table.
We took the long way home, through the woods and along the river.
The builders laid the foundations in April and finished the roof by September.
A black cat sat on the wall, watching the birds.
He told the same joke at every family dinner, and everyone laughed every time.
The fog lifted by midday, revealing the mountains across the lake.
The library lends books, music, and films, and it offers free classes for adults.
I left my glasses on the train.
The soldiers marched through the town, and the people cheered from the windows.
In the desert, the days are hot, but the nights can be very cold.
She sewed a new button onto his shirt.
The old mill still grinds flour, although it now runs on electricity instead of water.
The dog dug a hole in the flower bed and buried a bone.
The crowd fell silent as the speaker stepped up to the microphone.
They sailed around the island in three days, stopping each night in a different bay.
The tea had gone cold.
The printer, the scanner, and the old computer were all carried down to the basement.
He measured the wood twice, cut it once, and fitted it perfectly.
The birds stopped singing just before the storm began.
The town has two schools, a hospital, a library, and a small museum.
She finished the race in last place, but she was smiling as she crossed the line.
The plums are ripe, so we will make jam this weekend.
A thin layer of ice covered the puddles in the lane.
The professor spoke for an hour without looking at her notes.
We found a quiet table in the corner and ordered soup.
The ferry rocked gently as it left the harbour.
His handwriting was so small that we needed a magnifying glass to read it.
The garden gate creaked in the wind.
Every house on the street had a different coloured door.
The sun came out after lunch, and the whole family went to the beach.
The inspector asked to see our tickets, checked them, and moved on.
Moss grows on the north side of many trees in this forest.
The orchestra played a waltz, and several couples began to dance.
He spent his savings on a small boat, which he named after his mother.
The road to the village is narrow, steep, and full of sharp bends.
She could hear the children playing in the garden next door.
We watched the fireworks from the top of the hill.
The workers repaired the wall, replaced the broken tiles, and cleaned the windows.
The baby was born on the first day of spring.
The old map showed a path that no longer exists.
His tea was too hot to drink, so he left it on the windowsill to cool.
The waiter brought the bill, and we split it evenly.
A rainbow appeared over the valley after the shower.
The hall was decorated with lanterns, ribbons, and paper flowers.
The children were told to wait by the gate, but they wandered off into the field.
Salt was once so valuable that soldiers were sometimes paid with it.
The lights went out, and someone screamed.
The gardener cut the hedges, mowed the lawn, and swept the paths.
She spoke three languages, but she dreamed in only one.
The car broke down on the motorway, twenty miles from the nearest town.
A single tree stood in the middle of the field.
The museum guard asked us not to touch the paintings.
They had never seen the sea before, and they stood on the beach in silence.
The village fair has games, music, and a competition for the largest vegetable.
It took us two days to paint the kitchen.
He tied the boat to the post, climbed onto the jetty, and walked towards the house.
The bread rose slowly in the warm kitchen.
The meeting was moved to Thursday, because the manager was ill.
Sheep grazed on the steep slopes above the road.
She looked for her keys in every room, then found them in the door.
The river is wide, slow, and brown after the rain.
A loud knock on the door woke the whole household.
Our cat is afraid of the vacuum cleaner.
The town square fills with stalls selling fruit, flowers, and cheese every Friday.
He ran to catch the bus, but the doors closed just as he reached them.
The history of the town is written on the walls of its old buildings.
She poured the milk, stirred her tea, and opened the newspaper.
The lake froze solid, and the children skated on it all week.
The old station has been turned into a cafe and a bicycle shop.
A cool breeze came through the open window.
The referee blew his whistle, and the game began.
The mountain road is closed in winter because of snow and ice.
He wrote to his brother every month, even though his brother rarely replied.
The kitchen table was covered with books, papers, and empty cups.
The sky was clear, and the moon was full.
The choir sang in the old church on Christmas Eve.
She turned off the radio, closed the curtains, and went to bed.
Fresh water is scarce on the island, so every drop of rain is collected.
The dog waited by the door all day for its owner to come home.
We planted potatoes in March and dug them up in July.
The bookshop on the high street closed last year, after more than a century in business.
His shoes were covered in mud.
The clouds parted, and for a moment the whole valley was bathed in sunlight.
The postman delivers the letters at eight, rain or shine.
The twins look alike, but their voices are quite different.
At the top of the tower, there is a small room with a view over the whole city.
The old man told stories about the village as it was before the war.
She dropped the plate, and it broke into a hundred pieces.
The train crossed the bridge slowly, and the passengers looked down at the river far below.
Our neighbours are building a new kitchen, so there is noise all day.
The wind turned the pages of the book on the garden table.
In the morning, the valley was filled with mist, and only the church tower rose above it.
He added more wood to the fire.
The parcel arrived damaged, so we sent it back.
The cliffs are home to thousands of seabirds in the summer.
She learned to swim when she was six, in a cold lake near her grandparents' farm.
The shopkeeper counted the change into my hand, coin by coin.
After a long day at work, he cooked a simple dinner of rice, eggs, and vegetables.
The gate was open, and the cows had wandered into the road.
The old school now houses a small theatre and a cafe.
We could see the lights of the town across the bay.
The musician played the violin, the piano, and the flute, all in one evening.
A thunderstorm broke over the city in the early evening.
The carpenter made a table, four chairs, and a small cabinet from the same oak tree.
The lamp flickered and went out.
The river carried mud, branches, and even a small boat down towards the sea.
She kept the secret for thirty years.
When the first settlers arrived in the valley, they cleared the forest, built houses of timber and stone, and dug a channel from the river to water their fields through the long, dry summers.
The report, which was published after two years of careful study, found that the new road had reduced travel times, but it had also increased noise, pollution, and traffic in the villages along its route.
She walked along the shore in the grey light of the early morning, stopping now and then to pick up a shell, a smooth stone, or a piece of green glass worn soft by the sea.
Although the weather forecast had promised sunshine, the clouds gathered over the hills by noon, and by the time we reached the top, the rain was falling so hard that we could barely see the path.
The old library, with its tall windows, creaking floors, and shelves that reached almost to the ceiling, was the quietest place in the whole town, and he spent every afternoon of his childhood there.
In the small harbour, the fishermen unloaded their catch, sorted the fish into crates of ice, and sold most of it to the traders who were already waiting on the quay with their vans.
The engineers explained that the bridge would be closed for six months, that a temporary ferry would run every hour, and that the work, if all went well, would be finished before the winter.
Her grandfather had been a sailor, a farmer, and a schoolteacher, and he liked to say that each of these jobs had taught him something the others could not.
The city grew around a crossing of two ancient roads, one running from the coast to the mountains, the other from the northern forests to the southern plains.
We packed the car the night before, left the house at five in the morning, and drove through empty streets, past dark farms, and over the hills until the sun rose behind us.
The garden had been neglected for years. Brambles covered the paths, and the pond was full of leaves.
He knocked twice. Nobody came, so he left the parcel by the door.
The storm passed in the night. In the morning, the streets were littered with branches, tiles, and broken umbrellas.
She opened the box slowly. Inside, wrapped in faded silk, was a small silver watch.
The train stopped in the middle of a field. After twenty minutes, the driver announced that a tree had fallen on the line.
The town council voted to restore the old theatre, to plant trees along the main street, and to open a new market in the square, but it could not agree on how to pay for any of it.
Every evening, as the light faded over the hills, the old shepherd gathered his flock, counted them one by one, and led them down the narrow path to the fold beside his cottage.
The exhibition brings together paintings, drawings, letters, and photographs, many of which have never been shown in public before, and it traces the artist's life from her childhood to her last years.
If you follow the river upstream for about an hour, past the mill and the ruined chapel, you will come to a waterfall, and beside it there is a good place to rest and eat.
The heat was unbearable. Even the dogs lay still in the shade, too tired to bark.
Our first attempt at bread was a failure, our second was edible, and by the tenth loaf, the whole family agreed that it was better than anything from the shop.
The children were excited. It was the first day of the holidays, and the sun was shining.
Long before the railway came, goods were carried over the pass by mules, which could manage the steep, rocky tracks better than horses or carts.
The patient was weak, pale, and feverish when he arrived, but after a week of rest and care, he was able to sit up, eat, and talk with his visitors.
She had planned every detail of the journey, from the times of the trains to the names of the hotels, yet nothing went as she had expected.
The sea was calm. A few boats lay at anchor in the bay, and the only sound was the cry of the gulls.
The museum's newest room, which opened last spring after a long restoration, shows how people in the valley lived, worked, cooked, and celebrated over the past five hundred years.
He did not like cities. The noise, the crowds, and the endless traffic made him tired, and he always returned to the farm with relief.
In the evenings, when the work was done and the dishes were washed, the family sat together by the fire, reading, sewing, mending tools, or simply talking about the day.
The journey across the mountains took four days, and on the third day, when the snow began to fall, the travellers sheltered in a small stone hut beside the path.
"""#
}
