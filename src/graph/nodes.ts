/**
 * Every record type of the graph, one file each by domain; importing this module declares them all.
 * Each file lists its type's relations; the properties come from the model (src/model).
 */
import './rostering/org.js';
import './rostering/academic-session.js';
import './rostering/course.js';
import './rostering/class.js';
import './rostering/user.js';
import './rostering/role.js';
import './rostering/user-profile.js';
import './rostering/enrollment.js';
import './rostering/demographics.js';
import './gradebook/category.js';
import './gradebook/line-item.js';
import './gradebook/learning-objectives.js';
import './gradebook/result.js';
import './gradebook/score-scale.js';
import './gradebook/assessment-line-item.js';
import './gradebook/assessment-result.js';
import './resources/resource.js';
