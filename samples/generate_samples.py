#!/usr/bin/env python3
"""Write samples/addresses.csv and samples/addresses.jsonl, then check them
against the ZIP directory that the local sandbox uses.

The rows are public addresses (capitols, city halls, libraries, museums,
universities, landmarks), written the way shop and CRM exports look. Rows
whose expectation starts with "!" are deliberately invalid. Every other row
must agree with the ZIP directory embedded in the `zipcodes` crate
(version 3.0.1, `src/zips.json.bz2` in the cargo registry).

Usage: python3 samples/generate_samples.py [--check-only]

Exits with status 1 if a row meant to be valid disagrees with the directory.
"""

import argparse
import bz2
import csv
import glob
import io
import json
import os
import re
import sys
import unicodedata

SAMPLES_DIR = os.path.dirname(os.path.abspath(__file__))
CSV_PATH = os.path.join(SAMPLES_DIR, "addresses.csv")
JSONL_PATH = os.path.join(SAMPLES_DIR, "addresses.jsonl")
ZIP_DIRECTORY_GLOB = os.path.expanduser(
    "~/.cargo/registry/src/*/zipcodes-3.0.1/src/zips.json.bz2"
)

CSV_HEADER = [
    "id", "name", "address1", "address2", "urbanization",
    "city", "state", "zip", "phone", "notes",
]

# States whose ZIP codes start with 0 and lose one digit when Excel reads them
# as numbers. Puerto Rico ZIPs (006xx-009xx) lose two digits, so a 4-digit
# ZIP is never a Puerto Rico ZIP.
ZERO_PREFIX_STATES = {"CT", "MA", "ME", "NH", "NJ", "RI", "VT"}

# One row per line: name|address1|address2|urbanization|city|state|zip|phone|notes|expectation
# A phone of three digits is an area code: write_csv expands it to a number in
# the 555-0100..555-0199 range, which is reserved for fictional use. A literal
# "\n" in notes becomes a line break inside the quoted cell.
# An expectation starting with "!" marks an invalid row and gives the reason.
CSV_ROWS = r"""
The White House|1600 Pennsylvania Avenue Northwest|||Washington|DC|20500|202||
Library of Congress, Thomas Jefferson Building|101 Independence Ave SE|||Washington|DC|20540-0001|202|Visitor entrance on 1st St SE|
Supreme Court of the United States|1 First Street Northeast|||Washington|DC|20543|202||
UNITED STATES POSTAL SERVICE HQ|475 L'ENFANT PLZ SW|||WASHINGTON|DC|20260|202||
Martin Luther King Jr. Memorial Library|901 G St NW|||Washington|DC|20001|202||
National Building Museum|401 F St NW|||Washington|DC|200012728|202||
Ford's Theatre|511 10th St NW|||Washington|DC|20004||Closed Mon, Tue; use side door|
John A. Wilson Building (DC City Hall)|1350 Pennsylvania Ave NW|Suite 419||Washington|DC|20004|202||
US Naval Observatory|3450 Massachusetts Avenue Northwest|||Washington|DC|20392|202|Gate 2 only, ID required|
Union Station|50 Massachusetts Ave NE|||Washington|DC||202||
Empire State Building|350 5th Ave, Ste 3010|||New York|NY|10118|212||
New York Public Library - Stephen A. Schwarzman Building|476 Fifth Avenue|||New York|NY|10018|212||
Manhattan Municipal Building|1 Centre St|Room 2000 North||New York|NY|10007|212|"Marriage Bureau" is on the ground floor, not here|
James A. Farley Post Office|421 8th Ave|||New York|NY|10001|212||
Museum of Modern Art|11 W 53rd St|||New York|NY|10019|212|Ask for "Receiving", dock B|
The Met Cloisters|99 Margaret Corbin Dr|||New York|NY|10040|212||
Thurgood Marshall U.S. Courthouse|40 Centre St|||New York|NY|10007|212||
COLUMBIA UNIVERSITY|2960 BROADWAY|||NEW YORK|NY|10027|212||
Brooklyn Public Library, Central Library|10 Grand Army Plaza|||Brooklyn|NY|11238|718||
Chicago Cultural Center|78 E Washington St|||Chicago||60602|312||!missing state
Brooklyn Borough Hall|209 Joralemon St|||Brooklyn|ny|11201|718||
Queens Borough Hall|120-55 Queens Blvd|||Kew Gardens|NY|11415|718||
Buffalo City Hall|65 Niagara Sq|||Buffalo|NY|14202|716||
Rochester City Hall|30 Church St|||Rochester|NY|14614|585||
Syracuse City Hall|233 E Washington St|||Syracuse|NY|13202|315||
Massachusetts State House|24 Beacon St|||Boston|MA|2133|617||
Boston City Hall|1 City Hall Sq|||Boston|MA|2201|617||
Boston Public Library, Central Library|700 Boylston St|||Boston|MA|02116|617||
Honan-Allston Branch Library|300 N Harvard St|||Allston|MA|2134|617||
Massachusetts Institute of Technology|77 Massachusetts Ave|||Cambridge|MA|2139|617||
Cambridge City Hall|795 Massachusetts Avenue|||Cambridge|MA|02139|617||
Museum of Fine Arts, Boston|465 Huntington Ave|||Boston|MA|02115-5523|617||
Old North Church|193 Salem St|||Boston |MA|2113|617||
Boston Athenæum|10 1/2 Beacon St|||Boston|MA|02108|617|Members entrance, 2nd floor|
WORCESTER CITY HALL|455 MAIN ST|RM 203||WORCESTER|MA|01608|508||
Springfield City Hall|36 Court St|||Springfield|MA|1103|413||
Plymouth Town Hall|26 Court St|||Plymouth|MA|02360|508||
Salem City Hall|93 Washington St|||Salem|MA||978||
Connecticut State Capitol|210 Capitol Ave|||Hartford|CT|6106|860||
Yale University Art Gallery|1111 Chapel St|||New Haven|CT|06510|203||
Mark Twain House & Museum|351 Farmington Ave|||Hartford|CT|6105|860||
New Haven City Hall|165 Church St|||New Haven|CT|06510|203||
Stamford Government Center|888 Washington Blvd|||Stamford|CT|6901|203||
Rhode Island State House|82 Smith St|||Providence|RI|2903|401||
Providence City Hall|25 Dorrance St|||Providence|RI|02903|401||
The Breakers (Preservation Society of Newport County)|44 Ochre Point Ave|||Newport|RI|2840|401||
New Hampshire State House|107 North Main Street|||Concord|NH|3301|603||
Manchester City Hall|1 City Hall Plz|||Manchester|NH|03101|603||
Dartmouth College, Baker-Berry Library|25 N Main St|||Hanover|NH|03755|603||
Vermont State House|115 State St|||Montpelier|VT|5633|802||
Burlington City Hall|149 Church St|||Burlington|VT|05401|802||
Maine State House|210 State St|||Augusta|ME|04330|207||
Portland City Hall|389 Congress St|||Portland|ME|4101|207||
Houston Public Library, Central Library||||Houston|TX|77002|832||!missing street (address1 empty)
New Jersey State House|125 W State St|||Trenton|NJ|8608|609||
Princeton University, Nassau Hall|1 Nassau Hall|||Princeton|NJ|08544|609||
Newark City Hall|920 Broad St|||Newark|NJ|7102|973||
Newark Public Library|5 Washington St|||Newark|NJ|07102|973||
Thomas Edison National Historical Park|211 Main St|||West Orange|NJ|07052|973||
Jersey City City Hall|280 Grove St|||Jersey City|NJ|07302|201||
Boardwalk Hall|2301 Boardwalk|||Atlantic City|NJ|08401|609||
Liberty Science Center|222 Jersey City Blvd|||Jersey City|NJ|7305|201||
Independence Hall|520 Chestnut St|||Philadelphia|PA|19106|215||
Philadelphia City Hall|1400 John F Kennedy Blvd|Room 156||Philadelphia|PA|19107|215||
Pennsylvania State Capitol|501 N 3rd St|||Harrisburg|PA|17120|717||
Free Library of Philadelphia, Parkway Central|1901 Vine St|||Philadelphia|PA|19103|215||
Philadelphia Museum of Art|2600 Benjamin Franklin Pkwy|||Philadelphia|PA|19130|215||
Pittsburgh City-County Building|414 Grant St|||Pittsburgh|PA|15219|412||
Carnegie Museum of Natural History|4400 Forbes Avenue|||Pittsburgh|PA|15213|412||
Penn State University, Old Main|201 Old Main|||University Park|PA|16802|814||
Allentown City Hall|435 Hamilton St|||Allentown|PA|18101|610||
Texas Governor's Mansion|1010 Colorado St|||Austin|XX|78701|512||!invalid state code XX
Maryland State House|100 State Cir|Room 216||Annapolis|MD|21401|410||
George Peabody Library|17 E Mount Vernon Pl|||Baltimore|MD|21202|410||
United States Naval Academy|121 Blake Rd|||Annapolis|MD|21402|410||
Fort McHenry National Monument|2400 E Fort Ave|||Baltimore|MD|21230|410||
Edgar Allan Poe Museum|1914 E Main St|||Richmond|VA|23223|804||
George Washington's Mount Vernon|3200 Mount Vernon Memorial Hwy|||Mount Vernon|VA|22121|703||
Monticello|931 Thomas Jefferson Pkwy|||Charlottesville|VA|22902|434||
Arlington Central Library|1015 N Quincy St|||Arlington|VA|22201|703||
ALEXANDRIA CITY HALL|301 KING ST|||ALEXANDRIA|VA|22314|703|@facilities: deliveries before 10am|
Norfolk City Hall|810 Union St|||Norfolk|VA|23510|757||
University of Virginia, The Rotunda|1826 University Ave|||Charlottesville|VA|22904|434||
Virginia Beach Municipal Center|2401 Courthouse Dr|||Virginia Beach|VA|23456|757||
North Carolina State Capitol|1 E Edenton St|||Raleigh|NC|27601|919||
Biltmore Estate|1 Lodge St|||Asheville|NC|28803|828||
Charlotte-Mecklenburg Government Center|600 East Fourth Street, Room 267|||Charlotte|NC|28202|704||
Duke University Chapel|401 Chapel Dr|||Durham|NC|27708|919||
Wilmington City Hall|102 N 3rd St|||Wilmington|NC||910||
Navy Pier|600 E Grand Ave|||Chicago|IL|606|312||!3-digit ZIP
South Carolina State House|1100 Gervais St|Room 306||Columbia|SC|29201|803||
Charleston City Hall|80 Broad St|||Charleston|SC|29401|843||
Georgia State Capitol|206 Washington St SW|||Atlanta|GA|30334|404||
Atlanta City Hall|55 Trinity Ave SW|||Atlanta|GA|30303|404||
Jimmy Carter Presidential Library and Museum|441 John Lewis Freedom Pkwy NE|||Atlanta|GA|30307|404|=HYPERLINK("http://example.com/visit","Visit")|
Savannah City Hall|2 E Bay St|||Savannah|GA|31401|912||
Georgia Aquarium|225 Baker St NW|||Atlanta|GA|30313|404||
Florida State Capitol|400 S Monroe St|Suite 1801||Tallahassee|FL|32399-0001|850||
Miami-Dade County Courthouse|73 W Flagler St|||Miami|FL|33130|305||
Miami City Hall|3500 Pan American Dr|||Miami|FL|33133|305||
Castillo de San Marcos|1 S Castillo Dr|||St Augustine|FL|32084|904||
Tampa City Hall|315 E Kennedy Blvd|||Tampa|FL|33602|813||
The Dalí Museum|1 Dali Blvd|||St Petersburg|FL|33701|727||
Vizcaya Museum and Gardens|3251 S Miami Ave|||Miami|FL|33129|305||
Ernest Hemingway Home and Museum|907 Whitehead St|||Key West|FL|33040|305||
Jacksonville City Hall|117 W Duval St|||Jacksonville|FL|32202|904||
Atlantis City Hall|260 Orange Tree Dr|||Atlantis|FL|33462|561||
Alabama State Capitol|600 Dexter Ave|Room 105||Montgomery|AL|36130|334||
Birmingham City Hall|710 20th St N|||Birmingham|AL|35203|205||
Tampa Museum of Art|120 W Gasparilla Plz|||Tampa|GA|33602|813||!ZIP 33602 belongs to FL, not GA
U.S. Space & Rocket Center|1 Tranquility Base|||Huntsville|AL|35805|256||
Tennessee State Capitol|600 Dr Martin L King Jr Blvd|Suite 1||Nashville|TN|37243|615||
Ryman Auditorium|116 5th Ave N|||Nashville|TN|37219|+1 615 555 0177||
Graceland|3764 Elvis Presley Blvd|||Memphis|TN|38116|901|-call first|
National Civil Rights Museum|450 Mulberry St|||Memphis|TN|38103|901||
Kentucky State Capitol|700 Capital Ave Suite 100|||Frankfort|KY|40601|502||
Louisville Metro Hall|527 W Jefferson St|||Louisville|KY|40202|502||
City Hall Annex|0 Main St|||Springfield|MA|01103|413||!house number 0
Ohio Statehouse|1 Capitol Sq|||Columbus|OH|43215|614||
Rock & Roll Hall of Fame|1100 E 9th St|||Cleveland|OH|44114|216||
Cleveland Public Library|325 Superior Ave E|||Cleveland|OH|44114|216||
Cincinnati City Hall|801 Plum St|||Cincinnati|OH|45202|513||
National Museum of the U.S. Air Force|1100 Spaatz St|||Wright Patterson AFB|OH|45433|937||
Toledo Museum of Art|2445 Monroe St|||Toledo|OH|43620|419||
Coit Tower|1 Telegraph Hill Blvd|||San Francisco|CA|9413311|415||!7-digit ZIP
Library of Michigan|702 W Kalamazoo St|||Lansing|MI|48915|517||
Detroit Institute of Arts|5200 Woodward Ave|||Detroit|MI|48202|313||
Coleman A. Young Municipal Center|2 Woodward Ave|||Detroit|MI|48226|313||
The Henry Ford|20900 Oakwood Blvd|||Dearborn|MI|48124|313||
Grand Rapids City Hall|300 Monroe Ave NW, 6th Floor|||Grand Rapids|MI|49503|616||
Indiana Statehouse|200 W Washington St Rm 206|||Indianapolis|IN|46204|317||
Indianapolis Motor Speedway|4790 W 16th St|||Indianapolis|IN|46222|317||
Indianapolis Public Library, Central Library|40 E St Clair St|||Indianapolis|IN|46204|317||
Purdue University|610 Purdue Mall|||West Lafayette|IN|47907|765||
Township Hall|RR 2 BOX 15|||Hartington|NE|68739|402||
Illinois State Capitol|401 S 2nd St|||Springfield|IL|62701|217||
Chicago City Hall|121 N LaSalle St, Rm 107|||Chicago|IL|60602|312||
Harold Washington Library Center|400 S State St, Fl 9|||Chicago|IL|60605|312|tax exempt - cert on file|
Art Institute of Chicago|111 S Michigan Ave|||Chicago|IL|60603|312||
Field Museum|1400 S Lake Shore Dr|Attn: Library||Chicago|IL|60605|312||
Willis Tower Skydeck|233 S Wacker Dr|||Chicago|IL|60606|312||
Abraham Lincoln Presidential Library|112 N 6th St|||Springfield|IL|62701|217||
Lincoln Home National Historic Site|413 S 8th St|||Springfield|IL|62701|217||
University of Illinois Urbana-Champaign|601 E John St|||Champaign|IL|61820|217||
Everett McKinley Dirksen U.S. Courthouse|219 S Dearborn St|||Chicago|IL|60604|312||
Evanston Public Library|1703 Orrington Ave|||Evanston|IL|60201|847||
Illinois State Library|1 Capitol Plz|||Springfeld|IL||217||!misspelled city (Springfeld) and no ZIP
Wisconsin State Capitol|  2 E Main St |||Madison|WI|53703|608||
Milwaukee City Hall|200 E Wells St Room 205|||Milwaukee|WI|53202|414||
Milwaukee Art Museum|700 N Art Museum Dr|||Milwaukee|WI|53202|414||
Lambeau Field|1265 Lombardi Ave|||Green Bay|WI|54304|920||
Minnesota State Capitol|75 Rev Dr Martin Luther King Jr Blvd|||Saint Paul|MN|55155 1606|651||
Minneapolis City Hall|350 S 5th St|||Minneapolis|MN|55415|612||
Walker Art Center|725 Vineland Pl|||Minneapolis|MN|55403|612||
Hennepin County Library - Minneapolis Central|300 Nicollet Mall|Floor 4||Minneapolis|MN|55401|612||
Iowa State Capitol|1007 E Grand Ave|||Des Moines|IA|50319|515||
Iowa State University, Beardshear Hall|515 Morrill Rd|||Ames|IA|50011|515||
Army Post Office|PSC 1234 BOX 5678|||APO|AE|09012|||
Missouri State Capitol|201 W Capitol Ave|||Jefferson City|MO|65101|573||
Gateway Arch National Park|11 N 4th St|||Saint Louis|MO|63102|314||
Kansas City City Hall|414 E 12th St|||Kansas City|MO|64106|816||
Nelson-Atkins Museum of Art|4525 Oak St|||Kansas City|MO|64111|816||
Harry S. Truman Library and Museum|500 W US Highway 24|||Independence|MO|64050|816||
Kansas State Capitol|300 SW 10th Ave Ste 241S|||Topeka|KS|66612|785||
Wichita City Hall|455 N Main St|||Wichita|KS|67202|316||
Eisenhower Presidential Library|200 SE 4th St|||Abilene|KS||785||
Nebraska State Capitol|1445 K St|||Lincoln|NE|68508|402||
Omaha City Hall|1819 Farnam St Suite 300|||Omaha|NE|68183|402||
North Dakota State Capitol|600 E Boulevard Ave|Dept 101||Bismarck|ND|58505|701||
Fargo City Hall|225 4th St N|||Fargo|ND|58102|701||
Idaho Transportation Department|1 Nowhere Rd|||Boise|ID|83702|208||!street contains NOWHERE
South Dakota State Capitol|500 E Capitol Ave|||Pierre|SD|57501|605||
Mount Rushmore National Memorial|13000 Highway 244|Bldg 31 Suite 1||Keystone|SD|57751|605||
Corn Palace|604 N Main St|||Mitchell|SD|57301|605||
Montana State Capitol|1301 E 6th Ave|||Helena|MT|59601|406||
Wyoming State Capitol|200 W 24th St|||Cheyenne|WY|82002|307||
Yellowstone National Park Headquarters|PO Box 168|||Yellowstone National Park|WY|82190|307||
Idaho State Capitol|700 W Jefferson St, 2nd Floor|||Boise|ID|83702|208||
Boise City Hall|150 N Capitol Blvd|||Boise|ID|83702|208||
Colorado State Capitol|200 E Colfax Ave Rm 136|||Denver|CO|80203|303||
Denver Public Library, Central Library|10 W 14th Ave Pkwy|||Denver|CO|80204|720||
Denver City and County Building|1437 Bannock St # 451|||Denver|CO|80202|720||
U.S. Air Force Academy|2304 Cadet Dr|||USAF Academy|CO|80840|719||
Boulder Public Library|1001 Arapahoe Ave|||Boulder|CO||303||
Army Post Office|PSC 2345 BOX 678|||APO|AE|96205|||!APO AE with AP ZIP prefix 962
New Mexico State Capitol|490 Old Santa Fe Trl|||Santa Fe|NM|87501|505||
Palace of the Governors|105 W Palace Ave|||Santa Fe|NM|87501|505||
Albuquerque City Hall|1 Civic Plaza NW|||Albuquerque|NM|87102|505||
Georgia O'Keeffe Museum|217 Johnson St|||Santa Fe|NM|87501|505||
Arizona State Capitol|1700 W Washington St|||Phoenix|AZ|85007|602||
Phoenix City Hall|200 W Washington St, Fl 11|||Phoenix|AZ|85003|602||
Grand Canyon National Park|PO Box 129|||Grand Canyon|AZ|86023|928||
Tucson City Hall|255 W Alameda St|||Tucson|AZ|85701|520||
Heard Museum|2301 N Central Ave|||Phoenix|AZ|85004|602||
Utah State Capitol|350 North State Street|||Salt Lake City|UT|84114|801||
Salt Lake City and County Building|451 South State Street|||Salt Lake City|UT|84111|801||
Nevada State Capitol|101 N Carson St|||Carson City|NV|89701|775||
Las Vegas City Hall|495 S Main St|||Las Vegas|NV|89101|702||
Dallas Museum of Art|1717 N Harwood St|||Dallas|TX|7520|214||!4-digit ZIP in Texas (must not be padded)
Texas State Capitol|1100 Congress Ave|||Austin|TX|78701|512|Capitol Visitors Center is a separate building|
The Alamo|300 Alamo Plz|||San Antonio|TX|78205|210||
Dallas City Hall|1500 Marilla St Room 5DN|||Dallas|TX|75201|214||
Houston City Hall|901 Bagby St|||Houston|TX|77002|832||
The Sixth Floor Museum at Dealey Plaza|411 Elm St|||Dallas|TX|75202|214||
Space Center Houston|1601 NASA Pkwy|||Houston|TX|77058|281||
Austin Central Library|710 W César Chávez St|||Austin|TX|78701|512||
University of Texas at Austin, Main Building|110 Inner Campus Dr|||Austin|TX|78712|512||
LBJ Presidential Library|2313 Red River St|||Austin|TX|78705|512||
Texas A&M University|400 Bizzell St|||College Station|TX|77843|979||
Oklahoma State Capitol|2300 N Lincoln Blvd Rm 212|||Oklahoma City|OK|73105|405||
Oklahoma City National Memorial & Museum|620 N Harvey Ave|||Oklahoma City|OK|73102|405||
Tulsa City Hall|175 E 2nd St|||Tulsa|OK|74103|918||
Arkansas State Capitol|500 Woodlane St Ste 250|||Little Rock|AR|72201|501||
William J. Clinton Presidential Library|1200 President Clinton Ave|||Little Rock|AR|72201|501||
Crystal Bridges Museum of American Art|600 Museum Way|||Bentonville|AR|72712|479||
Louisiana State Capitol|900 N 3rd St|||Baton Rouge|LA|70802|225||
The Cabildo (Louisiana State Museum)|701 Chartres St|||New Orleans|LA|70116|504||
The National WWII Museum|945 Magazine St|||New Orleans|LA|70130|504||
Mississippi State Capitol|400 High St|||Jackson|MS|39201|601||
West Virginia State Capitol|1900 Kanawha Blvd E|Bldg 1 Rm 157K||Charleston|WV|25305|304||
Harpers Ferry National Historical Park|171 Shoreline Dr|||Harpers Ferry|WV|25425|304||
Delaware Legislative Hall|411 Legislative Ave|||Dover|DE|19901|302||
California State Capitol|1315 10th St|||Sacramento|CA|95814|916||
Los Angeles City Hall|200 N Spring St Room 360|||Los Angeles|CA|90012|213||
San Francisco City Hall|1 Dr Carlton B Goodlett Pl|||San Francisco|CA|94102|415||
Griffith Observatory|2800 E Observatory Rd|||Los Angeles|CA|90027|213||
Los Angeles Central Library|630 W 5th St|||Los Angeles|CA|90071|213||
Stanford University|450 Jane Stanford Way|||Stanford|Ca|94305|650||
Berkeley Public Library, Central Library|2090 Kittredge St|||Berkeley|CA|94704|510||
San Diego City Hall|202 C St|||San Diego|CA|92101|619||
San Diego Museum of Art|1450 El Prado|||San Diego|CA|92101|619||
Hollywood Bowl|2301 N Highland Ave|||Hollywood|CA|90068|323||
Smithsonian National Museum of American History|1300 Constitution Avenue Northwest Between Twelfth and Fourteenth Streets|||Washington|DC|20560|202||!street longer than 50 characters
Mission San Juan Capistrano|26801 Ortega Hwy|||San Juan Capistrano|CA|92675|949||
Hearst Castle|750 Hearst Castle Rd|||San Simeon|CA||805||
Oakland City Hall|1 Frank H Ogawa Plz|||Oakland|CA|94612|510||
Monterey Bay Aquarium|886 Cannery Row|||Monterey|CA|93940|831||
Ronald Reagan Presidential Library|40 Presidential Dr|||Simi Valley|CA|93065|805||
Richard Nixon Presidential Library|18001 Yorba Linda Blvd|||Yorba Linda|CA|92886|714||
Oregon State Capitol|900 Court St NE Rm 160|||Salem|OR|97301|503||
Florida Keys Visitor Center|106000 Overseas Hwy|||Boise|FL||305||!city not in its state (Boise, FL) and no ZIP
Portland City Hall|1221 SW 4th Ave|||Portland|OR|97204|503||
Multnomah County Central Library|801 SW 10th Ave|||Portland|OR|97205|503||
Washington State Capitol|416 Sid Snyder Ave SW|||Olympia|WA|98504|360||
Seattle City Hall|600 4th Ave, 7th Floor|||Seattle|WA|98104|206||
Space Needle|400 Broad St|||Seattle|WA|98109|206|Deliveries: loading dock only\nNo weekend receiving|
Museum of Pop Culture|325 5th Ave N|||Seattle|WA|98109|206||
Spokane City Hall|808 W Spokane Falls Blvd|||Spokane|WA|99201|509||
Alaska State Capitol|120 4th St|||Juneau|AK|99801|907||
Anchorage City Hall|632 W 6th Ave|||Anchorage|AK|99501|907||
Denali National Park and Preserve|PO Box 9|||Denali Park|AK|99755|907|Seasonal road access, mail only|
Hawaii State Capitol|415 S Beretania St|||Honolulu|HI|96813 2425|808||
ʻIolani Palace|364 S King St|||Honolulu|HI|96813|808||
Honolulu Hale|530 S King St|||Honolulu|HI|96813|808||
Bishop Museum|1525 Bernice St|||Honolulu|HI|96817|808||
Oficina Postal Puerto Nuevo|1010 Ave FD Roosevelt||URB PUERTO NUEVO|San Juan|PR|00920|787||
La Fortaleza|63 Calle Fortaleza|||San Juan|PR|00901|787||
Biblioteca Municipal Santa Rosa|57 Ave Main||URB SANTA ROSA|Bayamón|PR|00959|787||
Castillo San Felipe del Morro|501 Calle Norzagaray|||San Juan|PR|00901|787||
Centro Comunal Villa Carolina|10 Ave Roberto Clemente||URB VILLA CAROLINA|Carolina|PR|00985|787||
Universidad de Puerto Rico, Recinto de Mayagüez|259 Blvd Alfonso Valdés Cobián|||Mayagüez|PR|00680|787||
Municipio de Peñuelas|PO Box 10|||Peñuelas|PR|00624|787||
Observatorio de Arecibo|HC 3 Box 53995|||Arecibo|PR|00612|787||
El Yunque National Forest|HC 1 Box 13490|||Río Grande|PR|00745|787||
"""

# Objects for addresses.jsonl. The "expect" key is not written. It marks an
# invalid row and gives the reason.
JSONL_ROWS = [
    dict(company="Smithsonian Institution Building", street="1000 Jefferson Dr SW", street2=None, city="Washington", state="DC", zip="20560", tags=["museum", "federal"]),
    dict(company="National Archives Museum", street="701 Constitution Ave NW", street2=None, city="Washington", state="DC", zip="20408-0001", tags=["museum", "federal"]),
    dict(company="Folger Shakespeare Library", street="201 E Capitol St SE", street2=None, city="Washington", state="DC", zip="20003", tags=["library"]),
    dict(company="Catholic University of America", street="620 Michigan Ave NE", street2=None, city="Washington", state="DC", zip="20064", tags=["university"]),
    dict(company="Lincoln Center for the Performing Arts", street="10 Lincoln Center Plz", street2=None, city="New York", state="NY", zip="10023", tags=["landmark"]),
    dict(company="Portland Art Museum", street="1219 SW Park Ave", street2=None, city="", state="OR", zip="", tags=["museum"], expect="!missing city and ZIP"),
    dict(company="New-York Historical Society", street="170 Central Park W", street2=None, city="New York", state="NY", zip="10024", tags=["museum"]),
    dict(company="Solomon R. Guggenheim Museum", street="1071 5th Ave", street2=None, city="New York", state="NY", zip="10128", tags=["museum", "landmark"]),
    dict(company="Albany City Hall", street="24 Eagle St", street2="Room 202", city="Albany", state="NY", zip="12207", tags=["gov", "city-hall"]),
    dict(company="Harvard University, Smith Campus Center", street="1350 Massachusetts Ave", street2=None, city="Cambridge", state="MA", zip="02138", tags=["university"]),
    dict(company="Cambridge Public Library", street="449 Broadway", street2=None, city="Cambridge", state="MA", zip="02138", tags=["library"]),
    dict(company="Boston Athenæum", street="10½ Beacon St", street2=None, city="Boston", state="MA", zip="02108", tags=["library", "landmark"]),
    dict(company="Providence Public Library", street="150 Empire St", street2=None, city="Providence", state="RI", zip="02903", tags=["library"]),
    dict(company="Oklahoma History Center", street="800 Nazih Zuhdi Dr", street2=None, city="Oklahoma City", state="OK", zip="7310", tags=["museum", "gov"], expect="!4-digit ZIP outside the zero-prefix states"),
    dict(company="Connecticut State Library", street="231 Capitol Ave", street2=None, city="Hartford", state="CT", zip="06106", tags=["library", "gov"]),
    dict(company="Baltimore City Hall", street="100 N Holliday St", street2="Room 250", city="Baltimore", state="MD", zip="21202", tags=["gov", "city-hall"]),
    dict(company="Baltimore Museum of Art", street="10 Art Museum Dr", street2=None, city="Baltimore", state="MD", zip="21218", tags=["museum"]),
    dict(company="Arlington County Courthouse", street="1425 N Courthouse Rd", street2=None, city="Arlington", state="VA", zip="22201", tags=["gov", "courthouse"]),
    dict(company="Virginia Museum of History & Culture", street="428 N Arthur Ashe Blvd", street2=None, city="Richmond", state="VA", zip="23220", tags=["museum"]),
    dict(company="Raleigh Municipal Building", street="222 W Hargett St", street2=None, city="Raleigh", state="NC", zip="27601", tags=["gov", "city-hall"]),
    dict(company="High Museum of Art", street="1280 Peachtree St NE", street2=None, city="Atlanta", state="GA", zip="30309", tags=["museum"]),
    dict(company="Pasadena City Hall", street="100 N Garfield Ave", street2=None, city="Pasadena", state="Calif.", zip="91101", tags=["gov", "city-hall"], expect="!state is not a 2-letter code"),
    dict(company="Orlando City Hall", street="400 S Orange Ave", street2=None, city="Orlando", state="FL", zip="32801", tags=["gov", "city-hall"]),
    dict(company="Nashville Public Library", street="615 Church St", street2=None, city="Nashville", state="TN", zip="37219", tags=["library"]),
    dict(company="Muhammad Ali Center", street="144 N 6th St", street2=None, city="Louisville", state="KY", zip="40202", tags=["museum"]),
    dict(company="Ohio State University, Ohio Union", street="1739 N High St", street2=None, city="Columbus", state="OH", zip="43210", tags=["university"]),
    dict(company="University of Michigan, Fleming Administration Building", street="503 Thompson St", street2=None, city="Ann Arbor", state="MI", zip="48109", tags=["university"]),
    dict(company="Newberry Library", street="60 W Walton St", street2=None, city="Chicago", state="IL", zip="60610", tags=["library"]),
    dict(company="University of Utah", street="", street2=None, city="Salt Lake City", state="UT", zip="84112", tags=["university"], expect="!missing street"),
    dict(company="Milwaukee Public Library, Central Library", street="814 W Wisconsin Ave", street2=None, city="Milwaukee", state="WI", zip="53233", tags=["library"]),
    dict(company="Saint Paul City Hall", street="15 W Kellogg Blvd", street2=None, city="Saint Paul", state="MN", zip="55102", tags=["gov", "city-hall"]),
    dict(company="Molly Brown House Museum", street="1340 Pennsylvania St", street2=None, city="Denver", state="CO", zip="80203", tags=["museum"]),
    dict(company="Red Rocks Amphitheatre", street="18300 W Alameda Pkwy", street2=None, city="Morrison", state="CO", zip="80465", tags=["landmark"]),
    dict(company="University of Arizona", street="1401 E University Blvd", street2=None, city="Tucson", state="AZ", zip="85721", tags=["university"]),
    dict(company="Mission San José", street="6701 San Jose Dr", street2=None, city="San Antonio", state="TX", zip="78214", tags=["landmark", "federal"]),
    dict(company="The Broad", street="221 S Grand Ave", street2=None, city="Los Angeles", state="CA", zip="90012", tags=["museum"]),
    dict(company="Anchorage Museum", street="625 C St", street2=None, city="Juneau", state="AK", zip="99501", tags=["museum"], expect="!city Juneau does not match ZIP 99501 (Anchorage)"),
    dict(company="California Academy of Sciences", street="55 Music Concourse Dr", street2=None, city="San Francisco", state="CA", zip="94118", tags=["museum"]),
    dict(company="Pike Place Market", street="85 Pike St", street2=None, city="Seattle", state="WA", zip="98101", tags=["landmark"]),
    dict(company="Museo de Arte de Ponce", street="2325 Blvd Luis A Ferré", street2=None, city="Ponce", state="PR", zip="00717", tags=["museum"]),
]

PHONE_FORMATS = [
    "({area}) 555-01{nn:02d}",
    "{area}-555-01{nn:02d}",
    "{area}.555.01{nn:02d}",
    "1-{area}-555-01{nn:02d}",
]

UNIT_PATTERN = re.compile(
    r"(\b(APT|UNIT|STE|SUITE|RM|ROOM|FL|FLOOR|BLDG|BUILDING)\b|#|,\s*\S+)",
    re.IGNORECASE,
)


def parse_csv_rows():
    """Parse CSV_ROWS into (record, expectation) pairs, assigning ids in row order."""
    rows = []
    for number, line in enumerate(CSV_ROWS.strip("\n").split("\n"), start=1):
        fields = line.split("|")
        if len(fields) != 10:
            raise ValueError(f"CSV_ROWS line {number} has {len(fields)} fields, expected 10: {line}")
        *values, expectation = fields
        record = dict(zip(CSV_HEADER[1:], values))
        record["id"] = f"A{number:04d}"
        record["notes"] = record["notes"].replace("\\n", "\n")
        if re.fullmatch(r"\d{3}", record["phone"]):
            style = PHONE_FORMATS[number % len(PHONE_FORMATS)]
            record["phone"] = style.format(area=record["phone"], nn=number % 100)
        rows.append((record, expectation))
    return rows


def write_csv(rows):
    # newline="" stops Python from translating line ends, so every row ends in a bare LF.
    with open(CSV_PATH, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(CSV_HEADER)
        for record, _ in rows:
            writer.writerow([record[column] for column in CSV_HEADER])


def write_jsonl():
    with open(JSONL_PATH, "w", encoding="utf-8", newline="") as handle:
        for number, row in enumerate(JSONL_ROWS, start=1):
            record = {"id": f"J{number:04d}"}
            record.update({key: value for key, value in row.items() if key != "expect"})
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def load_zip_directory():
    matches = glob.glob(ZIP_DIRECTORY_GLOB)
    if not matches:
        sys.exit(f"ZIP directory not found at {ZIP_DIRECTORY_GLOB}; run `cargo fetch` first.")
    with bz2.open(matches[0], "rt", encoding="utf-8") as handle:
        return json.load(handle)


def fold(text):
    """Casefold and strip diacritics.

    The directory spells Puerto Rico cities without accents ("Mayaguez"), so
    "Mayagüez" matches only after folding.
    """
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalize_zip(raw, state):
    """Return the 5-digit ZIP of raw, or None if raw is not a ZIP or ZIP+4 form."""
    raw = raw.strip()
    match = re.fullmatch(r"(\d{5})(?:[- ]?\d{4})?", raw)
    if match:
        return match.group(1)
    if re.fullmatch(r"\d{4}", raw) and state in ZERO_PREFIX_STATES:
        return "0" + raw
    return None


def check_address(city, state, raw_zip, directory, by_zip):
    """Return a list of disagreements between city/state/ZIP and the directory."""
    state = state.strip().upper()
    problems = []
    if not raw_zip.strip():
        known = any(
            entry["state"] == state
            and fold(city) in {fold(entry["city"])} | {fold(c) for c in entry["acceptable_cities"]}
            for entry in directory
        )
        if not known:
            problems.append(f"no ZIP, and city {city!r} is not in {state!r}")
        return problems
    zip5 = normalize_zip(raw_zip, state)
    if zip5 is None:
        return [f"ZIP {raw_zip!r} is not a 5-digit ZIP or ZIP+4"]
    entry = by_zip.get(zip5)
    if entry is None:
        return [f"ZIP {zip5} not found"]
    if entry["state"] != state:
        problems.append(f"ZIP {zip5} is in {entry['state']}, not {state!r}")
    names = {fold(entry["city"])} | {fold(c) for c in entry["acceptable_cities"]}
    if fold(city) not in names:
        problems.append(f"city {city!r} is not {entry['city']!r} or an acceptable city of ZIP {zip5}")
    return problems


def primary_number_rule(address1, address2):
    """Name the sandbox rule that a row's primary number triggers, or None.

    The sandbox is specified to return "default match, unit needed" for a
    primary number ending in 00 without a unit, "multiple addresses" for one
    ending in 99 without a unit, and vacant for any number ending in 13. UNIT_PATTERN
    only approximates how the sandbox detects a unit.
    """
    match = re.match(r"\s*(\d+)\b", address1)
    if not match:
        return None
    number = match.group(1)
    has_unit = bool(UNIT_PATTERN.search(address1[match.end():]) or UNIT_PATTERN.search(address2))
    if number.endswith("13"):
        return "13 (vacant)"
    if has_unit:
        return None
    if number.endswith("00"):
        return "00 (unit needed)"
    if number.endswith("99"):
        return "99 (multiple addresses)"
    return None


def check_files(csv_rows):
    """Check the written files against the directory and print a summary."""
    directory = load_zip_directory()
    by_zip = {entry["zip_code"]: entry for entry in directory}
    expectations = {record["id"]: expectation for record, expectation in csv_rows}
    failures = 0

    with open(CSV_PATH, encoding="utf-8", newline="") as handle:
        text = handle.read()
    if text.startswith("\ufeff") or "\r" in text:
        print("addresses.csv: contains a BOM or CR characters")
        failures += 1
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != CSV_HEADER:
        print(f"addresses.csv: header is {reader.fieldnames}, expected {CSV_HEADER}")
        failures += 1

    valid_count = 0
    rule_hits = {}
    print("Invalid rows (expected to fail):")
    for row in reader:
        problems = check_address(row["city"], row["state"], row["zip"], directory, by_zip)
        expectation = expectations[row["id"]]
        if expectation.startswith("!"):
            found = "; ".join(problems) or "city/state/ZIP agree with the directory"
            print(f"  {row['id']}: {expectation[1:]} -> directory: {found}")
            continue
        valid_count += 1
        if problems:
            failures += 1
            print(f"  FAIL {row['id']}: {'; '.join(problems)}")
        rule = primary_number_rule(row["address1"], row["address2"])
        if rule:
            rule_hits.setdefault(rule, []).append(row["id"])

    total = len(csv_rows)
    print(f"addresses.csv: {total} rows, {valid_count} meant to be valid, "
          f"{total - valid_count} invalid, {failures} failures")
    hits = sum(len(ids) for ids in rule_hits.values())
    print(f"Valid rows hitting a sandbox primary-number rule: {hits} "
          f"({100 * hits / valid_count:.1f}%)")
    for rule, ids in sorted(rule_hits.items()):
        print(f"  {rule}: {', '.join(ids)}")

    print("addresses.jsonl:")
    with open(JSONL_PATH, encoding="utf-8") as handle:
        objects = [json.loads(line) for line in handle]
    for obj, source in zip(objects, JSONL_ROWS):
        if not isinstance(obj["zip"], str):
            print(f"  FAIL {obj['id']}: zip is not a JSON string")
            failures += 1
        problems = check_address(obj["city"], obj["state"], obj["zip"], directory, by_zip)
        if "expect" in source:
            found = "; ".join(problems) or "city/state/ZIP agree with the directory"
            print(f"  {obj['id']}: {source['expect'][1:]} -> directory: {found}")
        elif problems:
            failures += 1
            print(f"  FAIL {obj['id']}: {'; '.join(problems)}")
    print(f"  {len(objects)} objects, {sum('expect' not in r for r in JSONL_ROWS)} meant to be valid")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check-only", action="store_true",
                        help="check the existing files without rewriting them")
    args = parser.parse_args()
    rows = parse_csv_rows()
    if not args.check_only:
        write_csv(rows)
        write_jsonl()
    failures = check_files(rows)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
