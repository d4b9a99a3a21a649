export const GIVEN = ['Ava', 'Liam', 'Zoë', 'José', 'Mia', 'Noah', 'Amara', 'Łukasz', 'Sofia', 'Mateo', 'Chloé', 'Aiden',
  'Yuki', 'Priya', 'Omar', 'Ingrid', 'Kwame', 'Lucía', 'Finn', 'Hana', 'Elijah', 'Nora', 'Dmitri', 'Aaliyah', 'Björn'];
export const FAMILY = ['Smith', 'García', 'Nguyen', 'Johnson', 'Müller', 'Okafor', 'Kowalski', 'Brown', 'Silva', 'Kim',
  'Patel', 'Rossi', 'Haddad', 'Andersen', 'Dubois', 'Tanaka', 'Williams', 'López', 'Ivanova', 'Mensah', "O'Brien"];
/** Legal but awkward values for round-trip tests: commas, quotes, newlines, accents, scripts, emoji. */
export const HOSTILE_GIVEN = ['Anne, Marie', 'Jean "JJ"', 'Line\nBreak', 'Ñandú', '李小龙', 'Zoë 🎓', 'Ωmega', '', 'Tab\there'];
export const HOSTILE_FAMILY = ["O'Neil, Jr.", '"Quoted"', 'Ünïcödé', 'محمد', 'Émile\r\nDurand', '🦄'];
export const SUBJECTS = [
  ['Mathematics', 'MATH'], ['English Language Arts', 'ELA'], ['Science', 'SCI'], ['Social Studies', 'SOC'],
  ['Art', 'ART'], ['Music', 'MUS'], ['Physical Education', 'PE'], ['Spanish', 'SPA'], ['Computer Science', 'CS'], ['Health', 'HLT'],
] as const;
export const SCHOOL_NAMES = ['Lincoln', 'Roosevelt', 'Washington', 'Jefferson', 'Franklin', 'Hamilton', 'Madison', 'Adams',
  'Jackson', 'Kennedy', 'Monroe', 'Grant', 'Wilson', 'Carver', 'Douglass', 'Tubman', 'Curie', 'Einstein', 'Hopper', 'Lovelace'];
