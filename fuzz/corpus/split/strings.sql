SELECT 'it''s', E'tab\t;\'', U&'\0041;', U&"d\0061t;a" UESCAPE '!', B'101', X'1F', N'nat';
SELECT "quoted;ident", $1, 1.5e3, .5, 5., 'a'
  'b', E'\x41\101\u0041\U00000041';
SELECT (ARRAY[1, 2])[1:2], '{1,2}'::int[], a->>'k', b #- '{a}', c @@ d, e::text, f ~~* g;
